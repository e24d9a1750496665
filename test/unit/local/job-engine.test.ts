import { describe, expect, it } from '@jest/globals';
import type { JobTask } from '../../../lambdas/domain/job-schemas.js';
import type { JobStepOutput } from '../../../lambdas/handlers/job-worker.js';
import { zeroCounts } from '../../../lambdas/domain/jobs.js';
import { LocalJobEngine } from '../../../lib/local/job-engine.js';
import { JOB_MACHINE, LOCAL_JOB_STATE_MACHINE_ARN } from '../../../lib/service/jobs.js';

const JOB_ID = '20261123T101500Z-sync-3f9a1c';

/** A worker with `pages` pages whose `failing` steps throw; it records every task it gets. */
function fakeWorker(pages: number, failing: (call: number) => boolean = () => false) {
  const tasks: JobTask[] = [];
  let done = 0;
  const worker = async (task: JobTask): Promise<JobStepOutput> => {
    tasks.push(task);
    if (task.action === 'fail')
      return { done: true, status: 'failed', orgs_done: done * 100, orgs_total: pages * 100, counts: zeroCounts() };
    await new Promise((resolve) => setTimeout(resolve, 1));
    if (failing(tasks.length)) throw new Error(`step ${tasks.length} failed`);
    done += 1;
    return {
      done: done === pages,
      status: done === pages ? 'succeeded' : 'running',
      orgs_done: done * 100,
      orgs_total: pages * 100,
      counts: { ...zeroCounts(), orgs_seen: done * 100 },
    };
  };
  return { worker, tasks };
}

const engineWith = (worker: ReturnType<typeof fakeWorker>['worker'], log: string[] = []) =>
  new LocalJobEngine({
    stateMachineArn: LOCAL_JOB_STATE_MACHINE_ARN,
    machine: JOB_MACHINE,
    worker,
    retryBaseDelayMs: 1,
    progressIntervalMs: 0,
    log: (line) => log.push(line),
  });

const start = (engine: LocalJobEngine, name = JOB_ID) =>
  engine.startExecution({
    stateMachineArn: LOCAL_JOB_STATE_MACHINE_ARN,
    name,
    input: JSON.stringify({ job_id: JOB_ID }),
  });

describe('LocalJobEngine', () => {
  it('runs one page per step until the worker reports done, and logs progress', async () => {
    const { worker, tasks } = fakeWorker(3);
    const log: string[] = [];
    const engine = engineWith(worker, log);

    const result = start(engine);
    await engine.idle();

    expect(result).toEqual({
      ok: true,
      response: {
        executionArn: `arn:aws:states:local:000000000000:execution:org-feature-flags-jobs:${JOB_ID}`,
        startDate: expect.any(Number),
      },
    });
    expect(tasks).toEqual([1, 2, 3].map(() => ({ action: 'run', job_id: JOB_ID })));
    expect(log.at(-1)).toMatch(new RegExp(`^\\[jobs\\] ${JOB_ID}: succeeded, 300/300 orgs \\(100%\\)`));
    expect(log[0]).toMatch(/100\/300 orgs \(33%\)/);
  });

  it('retries a failed step as declared, then goes on', async () => {
    const { worker, tasks } = fakeWorker(2, (call) => call === 2 || call === 3);
    const engine = engineWith(worker);
    start(engine);
    await engine.idle();
    // Page 1, page 2 failing twice, page 2 again.
    expect(tasks.map((task) => task.action)).toEqual(['run', 'run', 'run', 'run']);
  });

  it('when the retries are spent, asks the worker to record the failure and stops', async () => {
    const { worker, tasks } = fakeWorker(5, (call) => call > 1);
    const engine = engineWith(worker);
    start(engine);
    await engine.idle();
    const runs = tasks.filter((task) => task.action === 'run');
    expect(runs).toHaveLength(1 + 1 + JOB_MACHINE.retry.maxAttempts);
    expect(tasks.at(-1)).toEqual({
      action: 'fail',
      job_id: JOB_ID,
      error: { Error: 'Error', Cause: expect.stringMatching(/^step \d+ failed$/) },
    });
  });

  it('refuses what Step Functions refuses: another state machine, a bad name, input without job_id, a name already running', async () => {
    const engine = engineWith(fakeWorker(1000).worker);
    expect(
      engine.startExecution({
        stateMachineArn: 'arn:aws:states:local:000000000000:stateMachine:other',
        name: 'a',
        input: '{}',
      }),
    ).toMatchObject({ ok: false, code: 'StateMachineDoesNotExist' });
    expect(
      engine.startExecution({ stateMachineArn: LOCAL_JOB_STATE_MACHINE_ARN, name: 'has space', input: '{}' }),
    ).toMatchObject({ ok: false, code: 'InvalidName' });
    expect(
      engine.startExecution({ stateMachineArn: LOCAL_JOB_STATE_MACHINE_ARN, name: 'a', input: '{"x":1}' }),
    ).toMatchObject({ ok: false, code: 'InvalidExecutionInput' });
    expect(start(engine)).toMatchObject({ ok: true });
    expect(start(engine)).toMatchObject({ ok: false, code: 'ExecutionAlreadyExists' });
    await engine.stop();
  });

  it('on stop, each run ends after the page it is on, without recording a failure', async () => {
    const { worker, tasks } = fakeWorker(1000);
    const log: string[] = [];
    const engine = engineWith(worker, log);
    start(engine);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await engine.stop();
    const ran = tasks.length;
    expect(ran).toBeGreaterThan(0);
    expect(ran).toBeLessThan(1000);
    expect(tasks.every((task) => task.action === 'run')).toBe(true);
    expect(log.at(-1)).toContain('stopped at its last checkpoint');
    expect(start(engine, 'later')).toMatchObject({ ok: false, code: 'ServiceUnavailable' });
  });
});
