// An async handler: Lambda's context fields, console output of each kind, a timer awaited.
exports.handler = async (event, context) => {
  console.log('greeting', event.name);
  console.error('an error line for', event.name);
  process.stdout.write(`raw write for ${event.name}\n`);
  const before = context.getRemainingTimeInMillis();
  await new Promise((resolve) => setTimeout(resolve, 20));
  return {
    message: `Hello, ${event.name || 'world'}!`,
    awsRequestId: context.awsRequestId,
    functionName: context.functionName,
    functionVersion: context.functionVersion,
    memoryLimitInMB: context.memoryLimitInMB,
    invokedFunctionArn: context.invokedFunctionArn,
    logGroupName: context.logGroupName,
    callbackWaitsForEmptyEventLoop: context.callbackWaitsForEmptyEventLoop,
    remainingBefore: before,
    remainingAfter: context.getRemainingTimeInMillis(),
    memorySize: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    threadpool: process.env.UV_THREADPOOL_SIZE,
    heapLimitMb: Math.round(require('v8').getHeapStatistics().heap_size_limit / 1048576),
  };
};
