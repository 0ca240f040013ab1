// How `ferry sync` reports, in git-annex 10.20230126's shapes (annex-format.md §4): each step as "commit",
// "pull origin", "push origin" on stdout, then "ok" or "failed"; what git printed passed on to the same
// stream; the refs a push moved drawn as git draws them ("To DEST" and " * [new branch]  main -> synced/main")
// on stderr; warnings ("  Pushing to origin failed.") on stderr; content moves as get/copy/drop print them;
// and a closing "sync: N failed". With --json, one record per step (and per content move) instead.
import type { Annex } from '../../annex/index.js';
import type { ContentAction, NoteLevel, PushResult, RefPush, SyncEvents, SyncStep, TransferEvents } from '../../sync/index.js';
import { refusedAsCheckedOut } from '../../sync/index.js';
import type { Output } from './output.js';
import { TransferReport } from './transfer-report.js';

/** git's column for the summary ("1a2b3c4..5d6e7f8" at the default abbreviation, 2 × 7 + 3). */
const SUMMARY_WIDTH = 17;

interface OpenStep {
  readonly step: SyncStep;
  readonly target: string | undefined;
  /** What git printed on stderr during the step, so an error it already said is not said twice. */
  stderr: string;
}

export class SyncReport implements SyncEvents {
  /** Content moves that failed (reported by the TransferReports, counted in the sync's result too). */
  private readonly content = new Map<string, TransferReport>();
  private current: OpenStep | undefined;

  constructor(private readonly out: Output, private readonly annex: Annex) {}

  stepStarted(step: SyncStep, target: string | undefined): void {
    this.current = { step, target, stderr: '' };
    this.out.line(target === undefined ? step : `${step} ${target}`);
  }

  gitOutput(text: string, stream: 'stdout' | 'stderr'): void {
    const body = text.endsWith('\n') ? text.slice(0, -1) : text;
    if (stream === 'stdout') this.out.line(body);
    else {
      if (this.current) this.current.stderr += text;
      this.out.warn(body);
    }
  }

  pushReport(result: PushResult): void {
    // As git-annex, which shows only its first push (synced/BRANCH, synced/git-annex) and a refused BRANCH
    // unless the refusal is the everyday one of a non-bare remote's checked-out branch.
    const shown = result.refs.filter((r) => r.flag !== '=' && (r.required || (r.flag === '!' && !refusedAsCheckedOut(r))));
    if (shown.length > 0) this.out.warn([`To ${result.destination}`, ...shown.map(refLine)].join('\n'));
    if (result.status === 'failed') {
      if (this.current) this.current.stderr += result.error ?? '';
      this.warnIndented(`Pushing to ${this.current?.target ?? result.destination} failed.`);
    }
  }

  note(text: string, level: NoteLevel): void {
    if (level === 'info') this.out.line(text);
    else this.warnIndented(text);
  }

  stepEnded(ok: boolean, error?: string): void {
    const open = this.current;
    this.current = undefined;
    // git-annex lets git's own message stand for the failure; ferry adds its line when git said nothing like it.
    if (!ok && error !== undefined && !(open?.stderr ?? '').includes(error.split(' (')[0]!)) this.warnIndented(error);
    this.out.line(ok ? 'ok' : 'failed');
    if (open) {
      this.out.record({
        command: open.step, input: open.target === undefined ? [] : [open.target], success: ok,
        'error-messages': ok || error === undefined ? [] : [error],
      });
    }
  }

  contentEvents(action: ContentAction, remote?: string): TransferEvents {
    const command = remote === undefined ? action : `${action} ${remote}`;
    let report = this.content.get(command);
    if (!report) {
      report = new TransferReport(this.out, this.annex, { command, args: [], paths: [], jsonProgress: false });
      this.content.set(command, report);
    }
    return report;
  }

  /** git-annex's closing line when something failed; the exit status. */
  finish(failed: number): number {
    if (failed > 0) this.out.warn(`sync: ${failed} failed`);
    return failed > 0 ? 1 : 0;
  }

  private warnIndented(text: string): void {
    this.out.warn(text.split('\n').map((l) => (l === '' ? l : `  ${l}`)).join('\n'));
  }
}

/** One ref as `git push` prints it without --porcelain: " * [new branch]      main -> synced/main". */
function refLine(r: RefPush): string {
  const short = (ref: string) => ref.replace(/^refs\/heads\//, '');
  const reason = r.reason === undefined ? '' : ` (${r.reason})`;
  return ` ${r.flag} ${r.summary.padEnd(SUMMARY_WIDTH)} ${short(r.source)} -> ${short(r.destination)}${reason}`;
}

