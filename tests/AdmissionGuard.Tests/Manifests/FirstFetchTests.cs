using AdmissionGuard.Git;
using AdmissionGuard.Hosting;
using AdmissionGuard.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace AdmissionGuard.Tests.Manifests;

/// <summary>
/// A new pod fetches while its host is still being built (<see cref="FirstFetch"/>); the refresher takes that fetch's outcome
/// as its first, once, and fetches itself after it. A pod with a persisted baseline fetches nothing before it has read it.
/// </summary>
public sealed class FirstFetchTests : IDisposable
{
    private const string Policy = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a, namespace: shop}\nspec: {podSelector: {}}\n";

    private readonly GitRepository _repository = new();
    private readonly TempDirectory _cache = new();

    public void Dispose()
    {
        _repository.Dispose();
        _cache.Dispose();
    }

    private GitSettings Settings(string? repository = null) => new() { Repository = repository ?? _repository.Path, CacheDirectory = _cache.Path };

    private static BaselineRefresher Refresher(BaselineStore store, GitSettings settings, FirstFetch? first) => new(
        store,
        Microsoft.Extensions.Options.Options.Create(settings),
        TimeProvider.System,
        new Observability.GuardMetrics(store, new Cluster.DriftStore(enabled: false), TimeProvider.System),
        NullLogger<BaselineRefresher>.Instance,
        first);

    [Fact]
    public async Task A_new_pod_fetches_while_its_host_is_built_before_it_starts()
    {
        var commit = _repository.Commit(new Dictionary<string, string> { ["shop/a.yaml"] = Policy });
        await using var app = GuardServer.Build([], builder => builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kestrel:Endpoints:Webhook:Url"] = $"https://127.0.0.1:{Ports.Free()}",
            ["Kestrel:Endpoints:Webhook:Certificate:Path"] = DevCertificates.CertificatePath,
            ["Kestrel:Endpoints:Webhook:Certificate:KeyPath"] = DevCertificates.KeyPath,
            ["Kestrel:Endpoints:Ops:Url"] = $"http://127.0.0.1:{Ports.Free()}",
            ["AdmissionGuard:Git:Repository"] = _repository.Path,
            ["AdmissionGuard:Git:CacheDirectory"] = _cache.Path,
        }));

        var clone = new GitRepositoryCache(Settings()).Directory;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!Fetched(clone, commit) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.True(Fetched(clone, commit), "the commit was not fetched before the host started");
    }

    private static bool Fetched(string clone, string commit)
    {
        if (!LibGit2Sharp.Repository.IsValid(clone))
        {
            return false;
        }

        using var repo = new LibGit2Sharp.Repository(clone);
        return LibGit2Sharp.RepositoryExtensions.Lookup<LibGit2Sharp.Commit>(repo, commit) is not null;
    }

    [Fact]
    public void The_refresher_takes_the_first_fetch_once_and_fetches_itself_after_it()
    {
        var first = _repository.Commit(new Dictionary<string, string> { ["shop/a.yaml"] = Policy });
        using var fetch = FirstFetch.StartIfNothingPersisted(Settings(), TimeProvider.System);
        Assert.NotNull(fetch);
        Assert.Equal(first, fetch.Result(CancellationToken.None).Commit);

        // Git moves on after the first fetch: the first refresh loads what that fetch found, the next what Git has now.
        var second = _repository.Commit(new Dictionary<string, string> { ["shop/a.yaml"] = Policy.Replace("podSelector: {}", "podSelector: {matchLabels: {app: a}}", StringComparison.Ordinal) });
        var store = new BaselineStore();
        var refresher = Refresher(store, Settings(), fetch);

        Assert.True(refresher.RefreshOnce(CancellationToken.None));
        var afterFirst = store.Current?.Commit;
        Assert.True(refresher.RefreshOnce(CancellationToken.None));
        Assert.Equal((first, second), (afterFirst, store.Current?.Commit));
    }

    [Fact]
    public void A_first_fetch_that_failed_is_the_first_refreshs_failure_and_the_next_refresh_fetches_again()
    {
        // Nothing committed yet: the first fetch finds no branch to resolve.
        using var fetch = FirstFetch.StartIfNothingPersisted(Settings(), TimeProvider.System);
        Assert.NotNull(fetch);
        var store = new BaselineStore();
        var refresher = Refresher(store, Settings(), fetch);

        Assert.False(refresher.RefreshOnce(CancellationToken.None));
        var failure = (store.State.ConsecutiveFailures, store.State.LastError?.Message);
        var commit = _repository.Commit(new Dictionary<string, string> { ["shop/a.yaml"] = Policy });
        Assert.True(refresher.RefreshOnce(CancellationToken.None));

        Assert.Equal((1, "ref \"main\" is not a branch, tag or commit of the repository"), failure);
        Assert.Equal(commit, store.Current?.Commit);
    }

    [Fact]
    public void Nothing_is_fetched_first_when_a_persisted_baseline_is_there_to_be_read()
    {
        var settings = Settings();
        Directory.CreateDirectory(_cache.Path);
        File.WriteAllText(new PersistedBaseline(settings).FilePath, "");

        Assert.Null(FirstFetch.StartIfNothingPersisted(settings, TimeProvider.System));
    }
}
