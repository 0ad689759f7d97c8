// `/admin`: users (create, disable, enable, reset password), your API keys, stuck batches with reset, queue cleanup,
// dead letters (inspect, requeue, purge) and the outbox backlog. Every action is a public admin API route.
import { useState } from 'preact/hooks';
import { pixmill } from '../api/pixmill';
import type { DeadLetter, Session } from '../api/types';
import { ErrorNote, Loading, Section, TableWrap, useLoad } from '../components/bits';
import { dateTime } from '../format';
import { Link } from '../router';
import { QueueTable } from './system-status';

function useAction() {
  const [result, setResult] = useState<{ ok?: string; error?: unknown }>({});
  const run = async (f: () => Promise<string | void>) => {
    setResult({});
    try {
      setResult({ ok: (await f()) ?? 'Done.' });
    } catch (error) {
      setResult({ error });
    }
  };
  const view = (
    <>
      {result.ok && (
        <p role="status" class="muted">
          {result.ok}
        </p>
      )}
      <ErrorNote error={result.error} />
    </>
  );
  return { run, view };
}

function Users({ session }: { session: Session }) {
  const { data, error, reload } = useLoad(() => pixmill.users());
  const action = useAction();
  const create = (e: SubmitEvent) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const f = new FormData(form);
    void action.run(async () => {
      const u = await pixmill.createUser(String(f.get('username')), String(f.get('password')), String(f.get('role')));
      form.reset();
      reload();
      return `Created ${u.username}.`;
    });
  };
  const reset = (id: string, username: string) => {
    const password = window.prompt(`New password for ${username} (at least 8 characters)`);
    if (!password) return;
    void action.run(async () => {
      await pixmill.resetPassword(id, password);
      return `Password of ${username} changed; their sessions ended.`;
    });
  };
  return (
    <Section title="Users" id="users-title">
      <ErrorNote error={error} />
      {!data && !error && <Loading />}
      {data && (
        <TableWrap label="Users">
          <table aria-labelledby="users-title">
            <thead>
              <tr>
                <th scope="col">Username</th>
                <th scope="col">Role</th>
                <th scope="col">Created</th>
                <th scope="col">State</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((u) => (
                <tr key={u.id}>
                  <td>{u.username}</td>
                  <td>{u.role}</td>
                  <td>{dateTime(u.created_at)}</td>
                  <td>{u.disabled_at ? `disabled ${dateTime(u.disabled_at)}` : 'active'}</td>
                  <td class="actions">
                    {u.id !== session.user.id && (
                      <button
                        type="button"
                        class="secondary"
                        onClick={() =>
                          action.run(async () => {
                            await pixmill.setUserDisabled(u.id, !u.disabled_at);
                            reload();
                            return `${u.username} ${u.disabled_at ? 'enabled' : 'disabled'}.`;
                          })
                        }
                      >
                        {u.disabled_at ? 'Enable' : 'Disable'}
                        <span class="sr-only"> {u.username}</span>
                      </button>
                    )}
                    <button type="button" class="secondary" onClick={() => reset(u.id, u.username)}>
                      Reset password<span class="sr-only"> of {u.username}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <form class="inline-form" onSubmit={create} aria-label="Create a user">
        <div>
          <label for="new-username">Username</label>
          <input id="new-username" name="username" required autocomplete="off" />
        </div>
        <div>
          <label for="new-password">Password</label>
          <input id="new-password" name="password" type="password" required minLength={8} autocomplete="new-password" />
        </div>
        <div>
          <label for="new-role">Role</label>
          <select id="new-role" name="role">
            <option value="user">user</option>
            <option value="admin">admin</option>
          </select>
        </div>
        <button type="submit">Create user</button>
      </form>
      {action.view}
    </Section>
  );
}

function ApiKeys() {
  const { data, error, reload } = useLoad(() => pixmill.apiKeys());
  const [created, setCreated] = useState<string | undefined>(undefined);
  const action = useAction();
  const create = (e: SubmitEvent) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const name = String(new FormData(form).get('name'));
    void action.run(async () => {
      const k = await pixmill.createApiKey(name);
      setCreated(k.key);
      form.reset();
      reload();
      return 'Key created. Copy it now: it is not shown again.';
    });
  };
  return (
    <Section title="Your API keys" id="keys-title">
      <ErrorNote error={error} />
      {data && data.items.length === 0 && <p class="empty">No keys.</p>}
      {data && data.items.length > 0 && (
        <TableWrap label="API keys">
          <table aria-labelledby="keys-title">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Starts with</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((k) => (
                <tr key={k.id}>
                  <td>{k.name}</td>
                  <td>
                    <code>{k.prefix}</code>
                  </td>
                  <td>{dateTime(k.created_at)}</td>
                  <td>{dateTime(k.last_used_at)}</td>
                  <td>
                    <button
                      type="button"
                      class="secondary"
                      onClick={() =>
                        action.run(async () => {
                          await pixmill.revokeApiKey(k.id);
                          reload();
                          return `Key ${k.name} revoked.`;
                        })
                      }
                    >
                      Revoke<span class="sr-only"> {k.name}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <form class="inline-form" onSubmit={create} aria-label="Create an API key">
        <div>
          <label for="key-name">Key name</label>
          <input id="key-name" name="name" required maxLength={100} />
        </div>
        <button type="submit">Create key</button>
      </form>
      {created && (
        <p class="note">
          New key: <code class="break">{created}</code>
        </p>
      )}
      {action.view}
    </Section>
  );
}

function Queues() {
  const { data, error, reload } = useLoad(() => pixmill.queueStatus());
  const action = useAction();
  const cleanup = (e: SubmitEvent) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget as HTMLFormElement);
    const days = String(f.get('days') ?? '').trim();
    void action.run(async () => {
      const r = await pixmill.queueCleanup({
        purge_deleted_batches: f.get('purge_deleted') === 'on',
        ...(days ? { published_jobs_older_than_days: Number(days) } : {}),
      });
      reload();
      return `Cleaned up: ${JSON.stringify(r)}`;
    });
  };
  return (
    <>
      <Section title="Stuck batches" id="stuck-title">
        <ErrorNote error={error} />
        {!data && !error && <Loading />}
        {data && data.stuck_images.batches.length === 0 && (
          <p class="empty">
            No image has been in a worker’s hands for more than {data.stuck_images.threshold_minutes} minutes.
          </p>
        )}
        {data && data.stuck_images.batches.length > 0 && (
          <TableWrap label="Stuck batches">
            <table aria-labelledby="stuck-title">
              <thead>
                <tr>
                  <th scope="col">Batch</th>
                  <th scope="col">Stuck images</th>
                  <th scope="col">Taken since</th>
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.stuck_images.batches.map((b) => (
                  <tr key={b.batch_id} data-batch-id={b.batch_id}>
                    <td>
                      <Link href={`/batch/${b.batch_id}`}>{b.batch_id}</Link>
                    </td>
                    <td>{b.count}</td>
                    <td>{dateTime(b.oldest_started_at)}</td>
                    <td>
                      <button
                        type="button"
                        onClick={() =>
                          action.run(async () => {
                            const r = (await pixmill.resetBatch(b.batch_id)) as { reset_images?: number };
                            reload();
                            return `Reset ${r.reset_images ?? 0} images of batch ${b.batch_id}.`;
                          })
                        }
                      >
                        Reset<span class="sr-only"> batch {b.batch_id}</span>
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
        {action.view}
      </Section>
      {data && (
        <Section title="Queues and outbox" id="queues-title">
          <QueueTable queues={data.queues} />
          <p>
            Outbox: {data.outbox.unpublished} jobs not yet published ({data.outbox.failing} failing to publish)
            {data.outbox.oldest_unpublished_at
              ? `, the oldest from ${dateTime(data.outbox.oldest_unpublished_at)}`
              : ''}
            ; {data.outbox.published_kept} published jobs kept.
          </p>
          <form class="inline-form" onSubmit={cleanup} aria-label="Queue cleanup">
            <div>
              <label for="cleanup-days">Delete published jobs older than (days)</label>
              <input id="cleanup-days" name="days" type="number" min={0} max={3650} />
            </div>
            <label class="inline">
              <input type="checkbox" name="purge_deleted" /> Purge trashed batches past their retention
            </label>
            <button type="submit" class="secondary">
              Clean up
            </button>
          </form>
          <DeadLetters queues={Object.keys(data.queues)} onChange={reload} />
        </Section>
      )}
    </>
  );
}

function DeadLetters({ queues, onChange }: { queues: string[]; onChange: () => void }) {
  const [queue, setQueue] = useState(queues[0] ?? '');
  const { data, error, reload } = useLoad(() => pixmill.deadLetters(queue), [queue]);
  const action = useAction();
  const after = () => {
    reload();
    onChange();
  };
  return (
    <section aria-labelledby="dlq-title">
      <h3 id="dlq-title">Dead letters</h3>
      <div class="inline-field">
        <label for="dlq-queue">Queue</label>
        <select id="dlq-queue" value={queue} onChange={(e) => setQueue(e.currentTarget.value)}>
          {queues.map((q) => (
            <option key={q}>{q}</option>
          ))}
        </select>
        <button
          type="button"
          class="secondary"
          disabled={!data?.total}
          onClick={() =>
            action.run(async () => {
              const r = await pixmill.requeueDeadLetters(queue);
              after();
              return `Requeued ${r.requeued}.`;
            })
          }
        >
          Requeue all
        </button>
        <button
          type="button"
          class="danger"
          disabled={!data?.total}
          onClick={() =>
            window.confirm(`Drop every dead letter of ${queue}?`) &&
            action.run(async () => {
              const r = await pixmill.purgeDeadLetters(queue);
              after();
              return `Purged ${r.purged}.`;
            })
          }
        >
          Purge all
        </button>
      </div>
      <ErrorNote error={error} />
      {data && data.items.length === 0 && <p class="empty">No dead letters in {queue}.</p>}
      {data && data.items.length > 0 && <DeadLetterList items={data.items} total={data.total} />}
      {action.view}
    </section>
  );
}

function DeadLetterList({ items, total }: { items: DeadLetter[]; total: number }) {
  return (
    <>
      <p>
        {total} dead {total === 1 ? 'letter' : 'letters'}
        {items.length < total ? `; the first ${items.length}:` : ':'}
      </p>
      <ul class="dead-letters">
        {items.map((d) => (
          <li key={d.message_id}>
            <details>
              <summary>
                {d.reason ?? 'failed'} after attempt {d.attempt} · {dateTime(d.dead_lettered_at)}
              </summary>
              {d.error && <p class="error">{d.error}</p>}
              <pre>{JSON.stringify(d.payload, null, 2)}</pre>
            </details>
          </li>
        ))}
      </ul>
    </>
  );
}

export default function AdminPage({ session }: { session: Session }) {
  return (
    <>
      <h1>Admin</h1>
      <Users session={session} />
      <Queues />
      <ApiKeys />
    </>
  );
}
