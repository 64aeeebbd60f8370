/** The users module's public surface: what other modules may use (its tables' types, for joins). */

export {
  type Availability,
  anyoneOnline,
  isOnline,
  openPresence,
  type RoomMaybeFreed,
  type RoutingMember,
  type RoutingTeam,
  setRoundRobinCursor,
  type TeamRule,
  teamForRouting,
  teamIdsOf,
  userRow,
} from './availability.ts';
export { listUserNames, teamMembers, userName } from './users.directory.ts';
export { assignmentObject } from './users.schemas.ts';
export { type AssigneeDeleting, teamExists } from './users.service.ts';
export type { TeamMembersTable, TeamsTable, UsersTable } from './users.tables.ts';
