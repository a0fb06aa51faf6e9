namespace AdmissionGuard.Admission;

/// <summary>
/// Lets only a few large reviews be read and decided at once. The API server's reviews of NetworkPolicies are a
/// few KiB; a review of megabytes comes from a caller around it (any pod can reach the webhook port), and reading
/// one takes ten times its size while its values are decoded and compared. Waiting ones stay unread in their
/// connections, held back by TCP, so memory stays within the pod's limit however many arrive together.
/// </summary>
/// <remarks>Requests of a declared size up to <see cref="ThresholdBytes"/> never touch the gate.</remarks>
internal sealed class LargeReviewGate : IDisposable
{
    public const long ThresholdBytes = 1024 * 1024;
    public const int MaxConcurrent = 2;

    private readonly SemaphoreSlim _slots = new(MaxConcurrent, MaxConcurrent);

    public static bool IsLarge(long? contentLength) => contentLength is not { } length || length > ThresholdBytes;

    /// <summary>Waits for a slot; dispose the result to give it back.</summary>
    public async ValueTask<Slot> EnterAsync(CancellationToken cancel)
    {
        await _slots.WaitAsync(cancel);
        return new Slot(_slots);
    }

    public void Dispose() => _slots.Dispose();

    public readonly struct Slot(SemaphoreSlim slots) : IDisposable
    {
        public void Dispose() => slots.Release();
    }
}
