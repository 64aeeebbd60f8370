/** The users module's public surface: what other modules may use (its tables' types, for joins). */

export { userName } from './users.lookup.ts';
export { type AssigneeDeleting, onAssigneeDelete, teamExists } from './users.service.ts';
export type { TeamMembersTable, TeamsTable, UsersTable } from './users.tables.ts';
