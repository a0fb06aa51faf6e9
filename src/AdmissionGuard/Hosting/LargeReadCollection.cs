namespace AdmissionGuard.Hosting;

/// <summary>
/// What a large read leaves behind (a baseline load, a full list of the cluster's NetworkPolicies): its working set, much
/// of it already promoted to the oldest generation and scattered, and the previous snapshot it replaced. Collected and
/// compacted at once, in one pause, rather than by a full collection that came a minute or two into traffic, at a random
/// moment, and stopped /validate as long. Aggressive: the memory the read took goes back to the system too, instead of
/// staying resident for a read that comes once per commit or list; so does what libgit2 freed while reading blobs.
/// </summary>
internal static class LargeReadCollection
{
    public static void Collect()
    {
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        NativeHeap.ReleaseFreed();
    }
}
