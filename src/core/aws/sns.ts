/** SNS Publish for notifications (lazy SDK, like every AWS client). */
import type { NotifyDeps, Publish } from '../notify';
import type { Settings } from '../settings';
import { awsErrorToWbError, awsOptionsFromSettings, type AwsClientFactory, type AwsClientOptions, type AwsCredentials } from './clients';

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

/** The senders of the notify.* settings: the webhook URL is passed in (a secret, from the environment or SecretStorage). */
export function notifyDepsOf(settings: Settings, webhookUrl: string | undefined, factory: Pick<AwsClientFactory, 'sns'>, credentials?: AwsCredentials): NotifyDeps {
  const topic = settings.notify.snsTopicArn;
  // The topic's region is in its ARN. aws.endpoint applies to SNS as to EC2 and SSM (moto serves them all).
  const region = topic.split(':')[3] || settings.aws.region;
  return {
    webhookUrl: webhookUrl || undefined,
    snsTopicArn: topic || undefined,
    publish: topic ? snsPublisher(awsOptionsFromSettings(settings, { region, ...(credentials ? { credentials } : {}) }), factory) : undefined,
  };
}
