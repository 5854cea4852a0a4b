// Order statistics for small samples. Quantiles interpolate linearly between order statistics
// (type 7, the default of R and NumPy), so the median of an even sample is the mean of the two middle values.

export function quantile(values, q) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export const median = (values) => quantile(values, 0.5);

/** Median, quartiles and the interquartile range relative to the median. */
export function summary(values) {
  const q1 = quantile(values, 0.25);
  const med = quantile(values, 0.5);
  const q3 = quantile(values, 0.75);
  return { n: values.length, median: med, q1, q3, iqr: q3 - q1, relIqr: med > 0 ? (q3 - q1) / med : NaN };
}
