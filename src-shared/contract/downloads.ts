// Downloads from the Hub: the queue of jobs with per-file progress, pause, resume and cancel,
// and the events that carry progress and state changes to every client.
import { z } from 'zod';
import { method, RepoId, Revision } from './common.ts';

const DownloadId = z.object({ id: z.string().min(1).max(100) }).strict();
const Status = z.enum(['queued', 'running', 'paused', 'verifying', 'done', 'failed', 'cancelled']);

export const DownloadSchema = z.object({
  id: z.string(),
  repoId: z.string(),
  revision: z.string(),
  commitSha: z.string().nullable(),
  status: Status,
  totalBytes: z.number().nullable(),
  doneBytes: z.number(),
  error: z.string().nullable(),
  speedBps: z.number(),
  etaSeconds: z.number().nullable(),
  retrying: z.string().nullable(),
  createdAt: z.number(),
  updatedAt: z.number(),
  files: z.array(
    z.object({
      path: z.string(),
      size: z.number(),
      doneBytes: z.number(),
      status: z.enum(['pending', 'running', 'done', 'failed']),
      error: z.string().nullable(),
    }),
  ),
});

export const downloadMethods = {
  'downloads.pull': method(
    z.object({ repoId: RepoId, revision: Revision.default('main') }).strict(),
    DownloadSchema,
  ),
  'downloads.pause': method(DownloadId, DownloadSchema),
  'downloads.resume': method(DownloadId, DownloadSchema),
  'downloads.cancel': method(DownloadId, DownloadSchema),
  'downloads.get': method(DownloadId, DownloadSchema),
  'downloads.list': method(z.object({}).strict(), z.array(DownloadSchema)),
} as const;

export const downloadEvents = {
  downloadProgress: z.object({
    id: z.string(),
    repoId: z.string(),
    status: z.string(),
    doneBytes: z.number(),
    totalBytes: z.number().nullable(),
    bytesPerSecond: z.number().nullable(),
  }),
  downloadState: z.object({
    id: z.string(),
    repoId: z.string(),
    status: Status,
    error: z.string().nullable(),
  }),
} as const;
