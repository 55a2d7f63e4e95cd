// What can be done to one node from a listing or the file page; the page opens the dialog.
import type { FsNode } from './fs';

export type NodeAction = 'rename' | 'delete' | 'share';

export type OnAction = (action: NodeAction, node: FsNode) => void;

export const ACTION_LABEL: Record<NodeAction, string> = {
  rename: 'Rename or move',
  delete: 'Delete',
  share: 'Share',
};
