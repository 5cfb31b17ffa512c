// The repository's own ESLint rules, for boundaries that no-restricted-imports cannot express.
// only-imports: files may import only the named packages and files inside the named folders.
import path from 'node:path';

const onlyImports = {
  meta: {
    type: 'problem',
    docs: {
      description: 'Allow imports only of named packages and of files inside named folders.',
    },
    schema: [
      {
        type: 'object',
        properties: {
          packages: { type: 'array', items: { type: 'string' } },
          folders: { type: 'array', items: { type: 'string' } },
          /** Import-map prefixes (package.json "imports") and the folder each points into. */
          aliases: { type: 'object', additionalProperties: { type: 'string' } },
          message: { type: 'string' },
        },
        additionalProperties: false,
      },
    ],
    messages: { outside: "'{{spec}}' may not be imported here: {{why}}" },
  },
  create(context) {
    const { packages = [], folders = [], aliases = {}, message = '' } = context.options[0] ?? {};
    const inside = (abs) =>
      folders.some((f) => {
        const rel = path.relative(path.resolve(context.cwd, f), abs);
        return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
      });
    const allowed = (spec) => {
      for (const [prefix, folder] of Object.entries(aliases))
        if (spec.startsWith(prefix))
          return inside(path.resolve(context.cwd, folder, spec.slice(prefix.length)));
      if (spec.startsWith('./') || spec.startsWith('../'))
        return inside(path.resolve(path.dirname(context.filename), spec));
      return packages.some((p) => spec === p || spec.startsWith(`${p}/`));
    };
    const check = (source) => {
      if (source?.type !== 'Literal' || typeof source.value !== 'string') return;
      if (!allowed(source.value))
        context.report({
          node: source,
          messageId: 'outside',
          data: { spec: source.value, why: message },
        });
    };
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
      // `import('x').T` in a type position.
      TSImportType: (node) => check(node.source ?? node.argument?.literal),
    };
  },
};

export default { meta: { name: 'orchard' }, rules: { 'only-imports': onlyImports } };
