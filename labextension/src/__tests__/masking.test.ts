import { describe, expect, it } from 'vitest';

import { MASK, maskValue } from '../masking';

describe('maskValue', () => {
  it('masks values whose names say they are secrets', () => {
    for (const name of ['PGPASSWORD', 'DB_PASSWD', 'MLFLOW_TOKEN', 'AWS_SECRET_ACCESS_KEY', 'API_KEY', 'KEY']) {
      expect(maskValue(name, 'hunter2'), name).toEqual({ shown: MASK, secret: true });
    }
  });

  it('cuts the password out of a URL and keeps the rest readable', () => {
    expect(maskValue('DATABASE_URL', 'postgresql://app:s3cr3t@db:5432/app')).toEqual({
      shown: `postgresql://app:${MASK}@db:5432/app`,
      secret: true
    });
  });

  it('shows plain values as they are', () => {
    expect(maskValue('MONKEY', 'banana')).toEqual({ shown: 'banana', secret: false });
    expect(maskValue('MLFLOW_TRACKING_URI', 'http://mlflow:5000')).toEqual({
      shown: 'http://mlflow:5000',
      secret: false
    });
    expect(maskValue('REDIS_URL', 'redis://redis:6379/0').secret).toBe(false);
  });
});
