// Engine section state: the engine the sidecar runs from (mode, state, versions, the last check) and an
// install or repair with each step's progress and the log tail, kept live by core's engine events.
import {
  ENGINE_STEPS,
  type EngineProgress,
  type EngineStatus,
  type EngineStep,
} from '#shared/contract/engine.ts';
import type { AppState } from './app.svelte.ts';
import { errorMessage } from '../ui/validation.ts';

/** What the section shows for one step of a run: reached or not, and how far. */
export interface StepView {
  step: EngineStep;
  index: number;
  state: 'pending' | EngineProgress['state'];
  /** 0–100 when known (done steps are 100), else null: the bar is then indeterminate while running. */
  percent: number | null;
  bytes: EngineProgress['bytes'];
  detail: string | null;
}

export const STATE_LABEL: Record<EngineStatus['state'], string> = {
  ready: 'Ready',
  missing: 'Not installed',
  outdated: 'Another version',
  corrupt: 'Damaged',
  installing: 'Installing',
};

/** Lines of the run's log the section keeps (core keeps as many). */
const LOG_LINES = 200;

export class EngineState {
  readonly app: AppState;
  status = $state<EngineStatus | null>(null);
  error = $state<string | null>(null);
  /** A status call (with a probe of the engine) or a check is under way. */
  checking = $state(false);

  readonly running = $derived(this.status?.state === 'installing');
  /** Repair applies to the managed engine, one run at a time. */
  readonly canRepair = $derived(this.status?.mode === 'managed' && !this.running);
  readonly steps = $derived(stepViews(this.status));

  constructor(app: AppState) {
    this.app = app;
    app.api.on('engineStatus', (s) => {
      this.status = s;
    });
    app.api.on('engineProgress', (p) => this.#progress(p));
  }

  async refresh(): Promise<void> {
    await this.#guard(() => this.app.api.call('engine.status'));
  }

  /** Starts a repair (the caller confirmed it); progress and the outcome arrive as events. */
  async repair(): Promise<void> {
    if (!this.canRepair) return;
    await this.#guard(() => this.app.api.call('engine.repair'));
  }

  /** Probes the engine in use again. */
  async verify(): Promise<void> {
    await this.#guard(() => this.app.api.call('engine.verify'));
  }

  async #guard(call: () => Promise<EngineStatus>): Promise<void> {
    this.checking = true;
    try {
      this.status = await call();
      this.error = null;
    } catch (e) {
      this.error = errorMessage(e);
    } finally {
      this.checking = false;
    }
  }

  /** A step's report between the run's start and end events: its row and the log move on. */
  #progress(p: EngineProgress): void {
    const s = this.status;
    if (!s?.run || s.run.state !== 'running') return;
    const steps = s.run.steps.filter((x) => x.step !== p.step);
    steps.push(p);
    steps.sort((a, b) => a.index - b.index);
    const line =
      p.detail && (p.state === 'running' ? p.detail : `${p.step}: ${p.state}: ${p.detail}`);
    const log = line ? [...s.run.log, line].slice(-LOG_LINES) : s.run.log;
    this.status = { ...s, progress: p, run: { ...s.run, steps, log } };
  }
}

function stepViews(s: EngineStatus | null): StepView[] {
  const reported = new Map((s?.run?.steps ?? []).map((p) => [p.step, p]));
  return ENGINE_STEPS.map((step, i) => {
    const p = reported.get(step);
    return {
      step,
      index: i + 1,
      state: p?.state ?? 'pending',
      percent: p ? (p.state === 'done' ? 100 : p.percent) : null,
      bytes: p?.bytes ?? null,
      detail: p?.detail ?? null,
    };
  });
}
