using Polly;
using Polly.Retry;

namespace AdmissionGuard.Cluster;

/// <summary>
/// How the long-running loops (the NetworkPolicy list and watch, the drift Lease) come back after the API server
/// failed them: retried for as long as the service runs, with exponential backoff and jitter up to
/// <see cref="MaxDelay"/>, so that replicas that lost the API server together do not return in step.
/// </summary>
internal static class Reconnection
{
    public static readonly TimeSpan FirstDelay = TimeSpan.FromSeconds(2);

    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(60);

    /// <param name="handles">The failures worth waiting out; anything else goes to the caller at once.</param>
    /// <param name="onRetry">Told the attempt that failed (from 1), the wait before the next, and the failure.</param>
    public static ResiliencePipeline Forever(TimeProvider clock, Func<Exception, bool> handles, Action<int, TimeSpan, Exception> onRetry) =>
        new ResiliencePipelineBuilder { TimeProvider = clock }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle(handles),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = FirstDelay,
                MaxDelay = MaxDelay,
                OnRetry = args =>
                {
                    onRetry(args.AttemptNumber + 1, args.RetryDelay, args.Outcome.Exception!);
                    return default;
                },
            })
            .Build();
}
