import { afterEach, describe, expect, it, vi } from 'vitest';
import { apiGet, bindingName, describeError, loginPath, objectPath, setUnauthorizedHandler, workloadPath, workloadQuery } from './client';

describe('describeError', () => {
  it.each([
    ['the server message and hint win', 403, { error: 'user alice may not list deployments in team-b', hint: 'ask for get on deployments in team-b' }, 'user alice may not list deployments in team-b', 'ask for get on deployments in team-b'],
    ['a 401 without a body says how to log in', 401, null, 'You are not logged in, or your session has expired.', 'Open the URL that `kurator up` or `kurator dashboard` printed, or paste a bearer token on the login page.'],
    ['a 401 with a server message keeps the login hint', 401, { error: 'session expired' }, 'session expired', 'Open the URL that `kurator up` or `kurator dashboard` printed, or paste a bearer token on the login page.'],
    ['a 404 says it may be gone', 404, { error: '' }, 'Not found: it may have been deleted or renamed.', 'Go back to the list and pick another one.'],
    ['a 502 from a proxy reads its HTML as text', 502, '<html><body><h1>Bad Gateway</h1></body></html>', 'Bad Gateway', 'Look at the log of `kurator dashboard`; the page retries on the next change.'],
    ['an unknown 5xx names the status', 500, null, 'The dashboard server failed (HTTP 500).', 'Look at the log of `kurator dashboard`; the page retries on the next change.'],
    ['no answer at all says the server is unreachable', 0, 'Failed to fetch', 'Cannot reach the dashboard server: Failed to fetch', 'Check that `kurator dashboard` (or `kurator up`) is still running; the page reconnects by itself.'],
  ])('%s', (_name, status, body, message, hint) => {
    const e = describeError('/api/v1/x', status, body);
    expect(e.message).toBe(message);
    expect(e.hint).toBe(hint);
    expect(e.status).toBe(status);
  });
});

describe('apiGet', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    setUnauthorizedHandler(null);
  });

  it('sends same-origin credentials and returns the JSON', async () => {
    const fetchMock = vi.fn(async () => new Response('{"user":"admin","mode":"kubeconfig","hub":"https://127.0.0.1:6443"}', { status: 200 }));
    vi.stubGlobal('fetch', fetchMock);
    const me = await apiGet<{ user: string }>('/api/v1/whoami');
    expect(me.user).toBe('admin');
    expect(fetchMock).toHaveBeenCalledWith('/api/v1/whoami', expect.objectContaining({ credentials: 'same-origin' }));
  });

  it('a 401 calls the unauthorized handler and throws the message', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response('{"error":"no session"}', { status: 401 })));
    const onUnauthorized = vi.fn();
    setUnauthorizedHandler(onUnauthorized);
    await expect(apiGet('/api/v1/overview')).rejects.toThrow('no session');
    expect(onUnauthorized).toHaveBeenCalledOnce();
  });

  it('a 403 does not log the user out', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response('{"error":"forbidden","hint":"ask for list"}', { status: 403 })));
    const onUnauthorized = vi.fn();
    setUnauthorizedHandler(onUnauthorized);
    await expect(apiGet('/api/v1/workloads')).rejects.toMatchObject({ status: 403, hint: 'ask for list' });
    expect(onUnauthorized).not.toHaveBeenCalled();
  });

  it('a network failure becomes an unreachable-server message', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => {
      throw new TypeError('Failed to fetch');
    }));
    await expect(apiGet('/api/v1/overview')).rejects.toMatchObject({ status: 0, message: 'Cannot reach the dashboard server: Failed to fetch' });
  });
});

describe('paths', () => {
  it('workloadQuery keeps only the set filters', () => {
    expect(workloadQuery({ namespace: 'team-a', fleet: '', health: 'Degraded' })).toBe('?namespace=team-a&health=Degraded');
  });
  it('workloadQuery is empty without filters', () => expect(workloadQuery({})).toBe(''));
  it('a cluster-scoped binding uses namespace -', () => expect(workloadPath(undefined, 'crd-x')).toBe('/workloads/-/crd-x'));
  it('bindingName is name-kind in lower case', () => expect(bindingName({ kind: 'Deployment', name: 'nginx' })).toBe('nginx-deployment'));
  it('a Deployment links to its workload page', () => expect(objectPath({ kind: 'Deployment', namespace: 'default', name: 'nginx' })).toBe('/workloads/default/nginx-deployment'));
  it('an AttachedCluster links to its cluster page', () => expect(objectPath({ kind: 'AttachedCluster', namespace: 'kurator-system', name: 'cluster-hangzhou' })).toBe('/clusters/cluster-hangzhou'));
  it('loginPath carries where the user was', () => expect(loginPath('/workloads?namespace=a')).toBe('/login?next=%2Fworkloads%3Fnamespace%3Da'));
  it('loginPath drops next for the overview', () => expect(loginPath('/')).toBe('/login'));
});
