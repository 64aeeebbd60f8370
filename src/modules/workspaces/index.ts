/** The workspaces module's public surface: what other modules may use. */
export {
  bootstrapDefaultWorkspace,
  type WorkspaceTerms,
  workspaceTerms,
} from './workspaces.service.ts';
