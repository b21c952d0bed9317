/**
 * A fresh bucket on the shared moto server, and an S3Store on it built the way the product builds
 * one (LazyAwsClientFactory, explicit test credentials, path-style endpoint).
 */
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { LazyAwsClientFactory, type AwsClientOptions } from '../../src/core/aws/clients';
import { S3Store } from '../../src/core/store/s3Store';
import { motoCredentials, type MotoServer } from './moto';

export interface MotoBucket {
  bucket: string;
  factory: LazyAwsClientFactory;
  aws: AwsClientOptions;
  client: S3Client;
  /** A store on the bucket (optionally under a prefix). */
  store(prefix?: string, pageSize?: number): S3Store;
  dispose(): Promise<void>;
}

let counter = 0;

/** `name` must be unique per test file (the moto server is shared by every suite of a run). */
export async function createMotoBucket(moto: MotoServer, name: string): Promise<MotoBucket> {
  const bucket = `${name}-${process.pid}-${++counter}`.toLowerCase();
  const factory = new LazyAwsClientFactory();
  const aws: AwsClientOptions = { region: 'us-east-1', endpoint: moto.endpoint, forcePathStyle: true, credentials: motoCredentials, maxAttempts: 2 };
  const client = await factory.s3(aws);
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    bucket,
    factory,
    aws,
    client,
    store: (prefix = '', pageSize?: number) => new S3Store({ bucket, prefix, client: () => factory.s3(aws), endpoint: moto.endpoint, region: 'us-east-1', pageSize }),
    dispose: () => factory.dispose(),
  };
}
