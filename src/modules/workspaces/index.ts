/** The workspaces module's public surface: what other modules may use. */

export { scope, scopePattern } from './workspaces.schemas.ts';
export {
  bootstrapDefaultWorkspace,
  type WorkspaceTerms,
  workspaceTerms,
} from './workspaces.service.ts';
