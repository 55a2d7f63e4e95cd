import type { FileRecord } from '../records.js';
import type { FsNodeRecord } from './types.js';

/**
 * A file node as the file record the sending, media and scanning code take: its bytes, type and
 * times (Last-Modified is the node's modification time).
 */
export function asFile(node: FsNodeRecord, location?: string): FileRecord {
  return {
    id: node.id,
    name: node.name,
    size: node.size,
    mimeType: node.mimeType ?? 'application/octet-stream',
    blobKey: node.blobKey ?? '',
    blobLocation: location ?? node.blobLocation ?? '',
    ownerId: node.ownerId,
    deleteKeyHash: null,
    createdAt: node.modifiedAt,
    lastViewAt: node.modifiedAt,
    views: 0,
    downloads: 0,
    bandwidthUsed: 0,
    bandwidthPaid: 0,
    expiresAt: null,
    scanStatus: node.scanStatus ?? null,
  };
}
