import { describe, expect, it } from 'vitest';
import { enableBucketVersioning, enableTableRecovery } from '../../scripts/lib/aws-setup';
import { createDynamoDbClient } from '../../src/storage/aws/dynamo-client';
import { createS3Client } from '../../src/storage/aws/s3-client';
import { AWS_TEST_TIMEOUT_MS, awsTestConfig } from '../support/aws-env';

/** The input of every command a client sends, recorded before it goes out. */
type Sent = { input: object }[];
const RECORD = { step: 'initialize', name: 'recordCommands' } as const;

describe('npm run setup:aws: the backups of the aws backend', () => {
  it('asks DynamoDB for point-in-time recovery on every table, and reports a stand-in that lacks it', async () => {
    const aws = awsTestConfig();
    const client = createDynamoDbClient(aws, AWS_TEST_TIMEOUT_MS);
    const sent: Sent = [];
    client.middlewareStack.add((next) => (args) => (sent.push(args), next(args)), RECORD);
    const tables = Object.values(aws.dynamodb.tables);
    try {
      // DynamoDB Local refuses the first table: the request is what real AWS receives.
      expect(await enableTableRecovery(client, tables, true)).toMatch(/^not supported by this endpoint/);
      expect(sent[0]?.input).toEqual({
        TableName: tables[0],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      });
      // Against AWS itself (no endpoint configured) a refusal stops the set-up.
      await expect(enableTableRecovery(client, tables, false)).rejects.toThrow();
    } finally {
      client.destroy();
    }
  });

  it('asks S3 for versioning on the bucket, and reports a stand-in that lacks it', async () => {
    const aws = awsTestConfig();
    const client = createS3Client(aws, AWS_TEST_TIMEOUT_MS);
    const sent: Sent = [];
    client.middlewareStack.add((next) => (args) => (sent.push(args), next(args)), RECORD);
    try {
      expect(await enableBucketVersioning(client, aws.s3.bucket, true)).toMatch(
        /^not supported by this endpoint/,
      );
      expect(sent[0]?.input).toMatchObject({
        Bucket: aws.s3.bucket,
        VersioningConfiguration: { Status: 'Enabled' },
      });
      await expect(enableBucketVersioning(client, aws.s3.bucket, false)).rejects.toThrow();
    } finally {
      client.destroy();
    }
  });
});
