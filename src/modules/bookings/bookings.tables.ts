/** Kysely types of the bookings module's tables, merged into the shared `Database`. */
export type BookingStatus = 'confirmed' | 'cancelled';

export interface BookingsTable {
  id: string;
  workspace_id: string;
  livemode: number;
  agent_id: string;
  contact_id: string;
  conversation_id: string | null;
  service_id: string | null;
  /** The service's name when booked (the agent's service list may change later). */
  service_name: string | null;
  /** ISO 8601 UTC; text comparison orders them. */
  start_at: string;
  end_at: string;
  /** The business timezone when booked, for `local_start`. */
  timezone: string;
  status: BookingStatus;
  notes: string | null;
  cancelled_at: string | null;
  cancellation_reason: string | null;
  created_at: string;
  updated_at: string;
}

declare module '../../platform/db/schema.ts' {
  interface Database {
    bookings: BookingsTable;
  }
}
