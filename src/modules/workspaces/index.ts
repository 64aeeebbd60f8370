/** The workspaces module's public surface: what other modules may use. */
export { bootstrapDefaultWorkspace } from './workspaces.service.ts';
