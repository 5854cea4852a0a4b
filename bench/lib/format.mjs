// Number formats shared by the bench drivers' tables.
export const fmtMs = (ms) => (ms >= 10 ? ms.toFixed(1) : ms >= 1 ? ms.toFixed(2) : ms >= 0.1 ? ms.toFixed(3) : ms.toFixed(4));
export const fmtRatio = (r) => (Number.isFinite(r) ? r.toFixed(2) : '—');
export const pct = (x) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '—');
