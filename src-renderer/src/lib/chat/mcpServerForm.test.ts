// The MCP server form's data rules: add input per transport, and an edit patch that carries only what
// changed (so an untouched server keeps running) and leaves write-only secrets alone unless retyped.
import { describe, expect, it } from 'vitest';
import { mcpServer } from '../../../test/fixtures.ts';
import { emptyForm, formFromServer, inputFromForm, pairs, patchFromForm } from './mcpServerForm.ts';

const stdio = mcpServer({
  name: 'files',
  command: 'npx',
  args: ['-y', '@modelcontextprotocol/server-filesystem', '/tmp'],
  envKeys: ['TOKEN'],
  toolCount: 3,
});

describe('the MCP server form', () => {
  it('reads env and header lines, skipping lines without the separator', () => {
    expect(pairs('A=1\nnot a pair\n B = two=2 \n', '=')).toEqual({ A: '1', B: 'two=2' });
    expect(pairs('Authorization: Bearer x:y\n', ':')).toEqual({ Authorization: 'Bearer x:y' });
  });

  it('builds mcp.add input for each transport, dropping the other transport’s fields', () => {
    const f = { ...emptyForm(), name: ' web ', transport: 'http' as const, command: 'leftover' };
    Object.assign(f, { url: 'http://127.0.0.1:3001/mcp', headers: 'X-Key: k', env: 'A=1' });
    expect(inputFromForm(f)).toEqual({
      name: 'web',
      transport: 'http',
      command: null,
      args: [],
      url: 'http://127.0.0.1:3001/mcp',
      env: {},
      headers: { 'X-Key': 'k' },
      permission: 'ask',
      timeoutMs: 60_000,
    });
    const s = inputFromForm({
      ...emptyForm(),
      name: 'x',
      command: 'node',
      args: 'a.js\n\n--flag\n',
    });
    expect(s).toMatchObject({ command: 'node', args: ['a.js', '--flag'], url: null });
  });

  it('an untouched edit is an empty patch; stored secrets kept unless retyped', () => {
    const f = formFromServer(stdio);
    expect(f.env).toBe('');
    expect(f.timeoutSeconds).toBe(60);
    expect(patchFromForm(f, stdio)).toEqual({});
    expect(patchFromForm({ ...f, env: 'TOKEN=new' }, stdio)).toEqual({ env: { TOKEN: 'new' } });
  });

  it('carries exactly the changed fields', () => {
    const f = {
      ...formFromServer(stdio),
      timeoutSeconds: 5,
      args: '-y\npkg',
      permission: 'allow' as const,
    };
    expect(patchFromForm(f, stdio)).toEqual({
      timeoutMs: 5000,
      args: ['-y', 'pkg'],
      permission: 'allow',
    });
    const moved = {
      ...formFromServer(stdio),
      transport: 'http' as const,
      url: 'https://mcp.example/x',
    };
    expect(patchFromForm(moved, stdio)).toEqual({
      transport: 'http',
      command: null,
      args: [],
      url: 'https://mcp.example/x',
    });
  });
});
