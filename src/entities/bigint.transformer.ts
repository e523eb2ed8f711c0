import type { ValueTransformer } from 'typeorm';

/** pg returns bigint columns as strings; sizes and counts stay far below 2^53, so numbers are exact. */
export const bigintAsNumber: ValueTransformer = {
  to: (value: number) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};
