"""Pulumi type tokens of the resources the stack declares."""

from __future__ import annotations

BUCKET = "aws:s3/bucket:Bucket"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
)
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
NOTIFICATION = "aws:s3/bucketNotification:BucketNotification"
QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
REPOSITORY = "aws:ecr/repository:Repository"
LIFECYCLE_POLICY = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
IMAGE = "docker:index/image:Image"
CLUSTER = "aws:ecs/cluster:Cluster"
CAPACITY_PROVIDERS = "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
FUNCTION = "aws:lambda/function:Function"
ASYNC_CONFIG = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
SCHEDULE = "aws:scheduler/schedule:Schedule"
PARAMETER = "aws:ssm/parameter:Parameter"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
TOPIC_SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"

STORAGE = "fargate-pipeline:index:Storage"
WORKER_IMAGE = "fargate-pipeline:index:WorkerImage"
WORKER_TASKS = "fargate-pipeline:index:WorkerTasks"
QUEUE_SCALER = "fargate-pipeline:index:QueueScaler"
STACK_REGISTRY = "fargate-pipeline:index:StackRegistry"
OBSERVABILITY = "fargate-pipeline:index:Observability"
COMPONENTS = (STORAGE, WORKER_IMAGE, WORKER_TASKS, QUEUE_SCALER, STACK_REGISTRY, OBSERVABILITY)
