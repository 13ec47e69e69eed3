// Pure: frames of PVE's termproxy protocol (client → server) used by the xterm.js console.

/** Input frame: "0:<utf-8 byte length>:<data>". */
export function termInput(data) {
  return `0:${new TextEncoder().encode(data).length}:${data}`;
}

/** Resize frame: "1:<cols>:<rows>:". */
export function termResize(cols, rows) {
  return `1:${cols}:${rows}:`;
}

/** Keep-alive frame. */
export const TERM_PING = '2';

/** The first message after the socket opens: "<user>:<ticket>\n". */
export function termAuth(user, ticket) {
  return `${user}:${ticket}\n`;
}
