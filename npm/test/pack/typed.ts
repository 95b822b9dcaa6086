// Type-checked in the fresh folder against the installed package's `types`.
import { TadaClient, type ChatEvent } from 'chatwire';

export const authors: string[] = [];
const client = new TadaClient({ server: 'http://127.0.0.1:1', team: 't', token: 'x' });
client.on((e: ChatEvent) => {
  if (e.type === 'message_received') authors.push(e.message.author.id);
});
export const sent: Promise<string> = client.sendMessage('jid', 'text');
