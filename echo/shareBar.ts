// A horizontal bar for a share in [0, 1]: the client's summary table and the
// lab's live view draw distributions with it.
const EIGHTHS = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];

export function shareBar(share: number, width: number): string {
  const eighths = Math.round(Math.max(0, Math.min(1, share)) * width * 8);
  return "█".repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8];
}

export function percent(share: number): string {
  return `${(share * 100).toFixed(1).padStart(5)}%`;
}
