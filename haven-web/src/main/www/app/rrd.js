// Pure: rrddata rows → uPlot data.

/** Column arrays for uPlot from rrddata rows: [[times], [series1], …]; missing values become null. */
export function toColumns(rows, fields) {
  const sorted = [...(rows || [])].filter(r => r && r.time !== undefined).sort((a, b) => a.time - b.time);
  return [sorted.map(r => Number(r.time)), ...fields.map(f => sorted.map(r => (r[f] === undefined || r[f] === null ? null : Number(r[f]))))];
}
