// The admin client over a stand-in transport: what each call sends, and a reply that does not match
// the protocol turned into a SidecarProtocolError that names the route and the field.
import { describe, expect, it } from 'vitest';
import { CoreError } from '../errors/index.ts';
import { SidecarProtocolError, sidecarAdmin } from './adminClient.ts';

function transport(reply: unknown) {
  const sent: Array<{ path: string; method: string | undefined; body: unknown }> = [];
  const json = (path: string, init?: RequestInit & { body?: string }): Promise<never> => {
    sent.push({
      path,
      method: init?.method,
      body: init?.body === undefined ? undefined : JSON.parse(init.body),
    });
    return Promise.resolve(reply as never);
  };
  return { sent, json };
}

describe('sidecar admin client', () => {
  it('sends each call to its route and returns the checked reply', async () => {
    const t = transport({ id: 'org/m', loaded: false });
    expect(await sidecarAdmin(t).unload('org/m')).toEqual({ id: 'org/m', loaded: false });
    expect(t.sent).toEqual([
      { path: '/admin/models/unload', method: 'POST', body: { model: 'org/m' } },
    ]);
    const u = transport({
      mlx_lm_version: '0.1',
      model_types: ['llama', 'bert'],
      embedding_model_types: ['bert'],
    });
    await sidecarAdmin(u).capabilities();
    expect(u.sent).toEqual([{ path: '/admin/capabilities', method: 'GET', body: undefined }]);
  });

  it('a reply off the protocol is a SidecarProtocolError naming the route and the field', async () => {
    const t = transport({ object: 'list', data: [{ id: 'org/m', loaded: 'yes' }] });
    const err: unknown = await sidecarAdmin(t)
      .models()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SidecarProtocolError);
    expect(err).toBeInstanceOf(CoreError);
    expect(err).toMatchObject({ code: 'sidecar_error', route: 'GET /admin/models' });
    expect((err as Error).message).toMatch(
      /^the sidecar's reply to GET \/admin\/models does not match the admin protocol: data\[0\]\.loaded: /,
    );
    const none: unknown = await sidecarAdmin(transport(null))
      .health()
      .catch((e: unknown) => e);
    expect((none as Error).message).toMatch(/GET \/health .*: \(body\): /);
  });
});
