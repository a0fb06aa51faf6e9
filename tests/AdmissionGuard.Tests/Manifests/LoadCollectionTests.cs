using AdmissionGuard.Git;
using AdmissionGuard.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace AdmissionGuard.Tests.Manifests;

/// <summary>
/// A new baseline is in force at once, and marked as leaving memory to collect until the refresher has collected it: the
/// drift scanner's first list waits for that mark to clear, so that its memory never comes on top of the load's.
/// </summary>
public sealed class LoadCollectionTests
{
    [Fact]
    public void A_new_baseline_is_in_force_before_its_load_is_collected_and_marked_until_then()
    {
        using var repository = new GitRepository();
        using var cache = new TempDirectory();
        repository.Commit(new Dictionary<string, string>
        {
            ["shop/a.yaml"] = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a, namespace: shop}\nspec: {podSelector: {}}\n",
        });
        var store = new BaselineStore();
        var settings = new GitSettings { Repository = repository.Path, CacheDirectory = cache.Path };
        var metrics = new Observability.GuardMetrics(store, new Cluster.DriftStore(enabled: false), TimeProvider.System);
        var refresher = new BaselineRefresher(store, Microsoft.Extensions.Options.Options.Create(settings), TimeProvider.System, metrics, NullLogger<BaselineRefresher>.Instance);

        var collectingBefore = store.Collecting;
        var loaded = refresher.RefreshOnce(CancellationToken.None);
        var (inForce, collectingAfterLoad) = (store.Current?.Count, store.Collecting);
        refresher.CollectWhatTheLoadLeft();

        Assert.Equal((false, true, 1, true), (collectingBefore, loaded, inForce, collectingAfterLoad));
        Assert.False(store.Collecting);
        Assert.False(refresher.RefreshOnce(CancellationToken.None), "the same commit again is no new baseline");
        Assert.False(store.Collecting);
    }
}
