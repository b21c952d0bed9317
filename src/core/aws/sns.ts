/** SNS Publish for notifications (lazy SDK, like every AWS client). */
import type { Publish } from '../notify';
import { awsErrorToWbError, type AwsClientFactory, type AwsClientOptions } from './clients';

export function snsPublisher(opts: AwsClientOptions, factory: Pick<AwsClientFactory, 'sns'>): Publish {
  return async (topicArn, subject, message) => {
    const { PublishCommand } = await import('@aws-sdk/client-sns');
    const client = await factory.sns(opts);
    try {
      await client.send(new PublishCommand({ TopicArn: topicArn, Subject: subject, Message: message }));
    } catch (e) {
      throw awsErrorToWbError(e, `SNS Publish to ${topicArn}`);
    }
  };
}
