/** Knowledge base tables (migration 0520_knowledge). */
export interface KnowledgeDocumentsTable {
  id: string;
  workspace_id: string;
  livemode: number;
  agent_id: string;
  title: string;
  doc_type: string;
  /** The document's text as indexed (extracted from the page or file for url/file). */
  content: string;
  /** JSON array of {question, answer} for faq documents, else null. */
  faqs: string | null;
  source_url: string | null;
  filename: string | null;
  chunk_count: number;
  char_count: number;
  created_at: string;
  updated_at: string;
}

export interface KnowledgeChunksTable {
  id: string;
  workspace_id: string;
  livemode: number;
  agent_id: string;
  doc_id: string;
  position: number;
  title: string;
  text: string;
  /** JSON array of numbers when an embedding provider is configured, else null. */
  embedding: string | null;
  created_at: string;
}

declare module '../../platform/db/schema.ts' {
  interface Database {
    knowledge_documents: KnowledgeDocumentsTable;
    knowledge_chunks: KnowledgeChunksTable;
  }
}
