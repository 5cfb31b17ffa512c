// The chat's request body from its settings: only set, finite parameters; the system prompt first; the
// speculation choice in the gateway's shape; tools only when offered; the tool-round limit's fallback.
import { describe, expect, it } from 'vitest';
import type { McpTool } from '#shared/contract/mcp.ts';
import { message } from '../../../test/fixtures.ts';
import { chatRequest, DEFAULT_SETTINGS, toolRoundLimit } from './settings.ts';

const history = [message(1, 'c', { content: 'Hi' })];

describe('chat settings', () => {
  it('defaults make a bare request: the messages and nothing else', () => {
    expect(chatRequest(DEFAULT_SETTINGS, 'org/m', history, [])).toEqual({
      model: 'org/m',
      messages: [{ role: 'user', content: 'Hi' }],
      params: {},
    });
  });

  it('sends the system prompt, set parameters, the speculation choice and the offered tools', () => {
    const s = {
      ...DEFAULT_SETTINGS,
      systemPrompt: 'Be brief.',
      temperature: 0,
      top_p: Number.NaN,
      max_tokens: 64,
      speculative: 'draft_model' as const,
      draftModel: ' org/draft ',
    };
    const tool: McpTool = {
      name: 'echo',
      serverId: 's1',
      serverName: 'everything',
      tool: 'echo',
      description: 'Echoes',
      parameters: { type: 'object' },
      permission: 'ask',
    };
    const req = chatRequest(s, 'org/m', history, [tool]);
    expect(req.messages[0]).toEqual({ role: 'system', content: 'Be brief.' });
    expect(req.params).toEqual({
      temperature: 0,
      max_tokens: 64,
      speculative: { draft_model: 'org/draft' },
    });
    expect(req.tools?.map((t) => t.function.name)).toEqual(['echo']);
    const lookup = chatRequest({ ...s, speculative: 'prompt_lookup' }, 'org/m', history, []);
    expect(lookup.params.speculative).toEqual({ method: 'prompt_lookup' });
    expect('tools' in lookup).toBe(false);
    expect(chatRequest({ ...s, speculative: 'none' }, 'm', [], []).params.speculative).toBe('none');
  });

  it('a cleared or nonsense tool-round field falls back to the default', () => {
    expect(toolRoundLimit({ ...DEFAULT_SETTINGS, toolRounds: 3 })).toBe(3);
    for (const bad of [0, -1, 2.5, Number.NaN])
      expect(toolRoundLimit({ ...DEFAULT_SETTINGS, toolRounds: bad })).toBe(5);
  });
});
