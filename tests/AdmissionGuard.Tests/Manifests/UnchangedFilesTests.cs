using AdmissionGuard.Core.Policy;
using AdmissionGuard.Git;
using AdmissionGuard.Tests.Support;

namespace AdmissionGuard.Tests.Manifests;

/// <summary>A new commit is read by what changed: files whose blob is the same are neither decoded nor parsed again, and no text is kept for that.</summary>
public sealed class UnchangedFilesTests
{
    private static string Policy(string name, int port) =>
        $"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: {name}, namespace: shop}}\nspec:\n  ingress:\n  - ports:\n    - port: {port}\n";

    [Fact]
    public void A_file_whose_blob_did_not_change_keeps_what_was_read_from_it()
    {
        using var repository = new GitRepository();
        using var cache = new TempDirectory();
        var first = repository.Commit(new Dictionary<string, string> { ["a.yaml"] = Policy("a", 80), ["b.yaml"] = Policy("b", 80) });
        var source = new GitBaselineSource(new GitSettings { Repository = repository.Path, CacheDirectory = cache.Path }, TimeProvider.System);
        var before = source.Load(source.Fetch(CancellationToken.None), DateTimeOffset.UtcNow);

        var second = repository.Commit(new Dictionary<string, string> { ["b.yaml"] = Policy("b", 443) });
        var after = source.Load(source.Fetch(CancellationToken.None), DateTimeOffset.UtcNow);

        Assert.NotEqual(first, second);
        Assert.Equal(second, after.Baseline.Commit);
        Assert.Same(Find(before, "a").Policy, Find(after, "a").Policy);
        Assert.Same(before.Files.Single(f => f.Path == "a.yaml"), after.Files.Single(f => f.Path == "a.yaml"));
        Assert.NotEqual(before.Files.Single(f => f.Path == "b.yaml").BlobId, after.Files.Single(f => f.Path == "b.yaml").BlobId);
        Assert.NotSame(Find(before, "b").Policy, Find(after, "b").Policy);
        Assert.Contains("TCP/443", Find(after, "b").Policy.Spec.Key, StringComparison.Ordinal);
    }

    [Fact]
    public void After_a_commit_that_failed_the_last_good_one_is_still_what_is_reused()
    {
        using var repository = new GitRepository();
        using var cache = new TempDirectory();
        repository.Commit(new Dictionary<string, string> { ["a.yaml"] = Policy("a", 80), ["b.yaml"] = Policy("b", 80) });
        var source = new GitBaselineSource(new GitSettings { Repository = repository.Path, CacheDirectory = cache.Path }, TimeProvider.System);
        var good = source.Load(source.Fetch(CancellationToken.None), DateTimeOffset.UtcNow);

        repository.Commit(new Dictionary<string, string> { ["b.yaml"] = "spec: [" });
        Assert.Throws<BaselineLoadException>(() => source.Load(source.Fetch(CancellationToken.None), DateTimeOffset.UtcNow));
        repository.Commit(new Dictionary<string, string> { ["b.yaml"] = Policy("b", 8080) });
        var fixedCommit = source.Load(source.Fetch(CancellationToken.None), DateTimeOffset.UtcNow);

        Assert.Same(Find(good, "a").Policy, Find(fixedCommit, "a").Policy);
        Assert.Contains("TCP/8080", Find(fixedCommit, "b").Policy.Spec.Key, StringComparison.Ordinal);
    }

    [Fact]
    public void A_loaded_commit_holds_no_file_text_and_what_is_kept_for_the_next_one_is_what_was_read()
    {
        using var repository = new GitRepository();
        using var cache = new TempDirectory();
        repository.Commit(new Dictionary<string, string> { ["a.yaml"] = Policy("a", 80), ["b.yaml"] = Policy("b", 80) });
        var source = new GitBaselineSource(new GitSettings { Repository = repository.Path, CacheDirectory = cache.Path }, TimeProvider.System);

        var policy = LoadAndForget(source, out var texts);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        Assert.Equal(["", ""], texts);
        Assert.True(policy.IsAlive, "what was read from the file is kept for the next commit");
    }

    /// <summary>Loads the commit and keeps only its files' texts and a weak reference to what was read from one.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference LoadAndForget(GitBaselineSource source, out string[] texts)
    {
        var loaded = source.Load(source.Fetch(CancellationToken.None), DateTimeOffset.UtcNow);
        texts = [.. loaded.Files.Select(f => f.Text)];
        return new WeakReference(Find(loaded, "a").Policy);
    }

    private static Core.BaselineEntry Find(LoadedCommit loaded, string name) => loaded.Baseline.Find(new PolicyKey("shop", name))!;
}
