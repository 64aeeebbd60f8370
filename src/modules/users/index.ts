/** The users module's public surface: what other modules may use (its tables' types, for joins). */

export { listUserNames, teamMembers } from './users.report.ts';
export { type AssigneeDeleting, onAssigneeDelete } from './users.service.ts';
export type { TeamMembersTable, TeamsTable, UsersTable } from './users.tables.ts';
