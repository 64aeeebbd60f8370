import type { Module } from '../module.ts';
import { analyzeJob, analyzeRangeJob } from './analysis.jobs.ts';
import { analysisMigrations } from './analysis.migrations.ts';
import { analysisRoutes } from './analysis.routes.ts';
import { analysisSink, runAnalyzeJob } from './analysis.service.ts';
import './analysis.tables.ts';
import { runPage } from './runs.service.ts';

/**
 * Analysis (SPEC: Analysis and reports): what each conversation and call achieved, computed by a
 * job when a conversation is resolved or a call ends, and again on request or over a range.
 */
export const analysisModule: Module = {
  name: 'analysis',
  migrations: analysisMigrations,
  routes: analysisRoutes,
  setup(ctx) {
    ctx.queue.register(analyzeJob, (p) => runAnalyzeJob(ctx, p));
    ctx.queue.register(analyzeRangeJob, (p) => runPage(ctx, p.runId));
    ctx.reactions.add({
      name: 'analysis.enqueue',
      hears: ['conversation.escalated', 'conversation.resolved', 'call.completed'],
      step: 'record',
      run: analysisSink(ctx),
    });
    return {};
  },
};
