using AdmissionGuard.Git;
using AdmissionGuard.Tests.Support;

namespace AdmissionGuard.Tests.Manifests;

/// <summary>
/// A commit's plain files are read from the clone one at a time while other threads parse them: the errors are still the
/// ones a file-by-file read in path order would give, and a reader that stops never leaves the parsers waiting.
/// </summary>
public sealed class CommitReadTests
{
    private const int Files = 300;

    private static string Path(int i) => $"shop/p-{i:D3}.yaml";

    private static string Policy(int i) =>
        $"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p-{i:D3}, namespace: shop}}\nspec:\n  podSelector: {{matchLabels: {{app: a-{i}}}}}\n";

    [Fact]
    public async Task Of_two_bad_files_the_first_in_path_order_is_the_error()
    {
        var error = await LoadFails(new Dictionary<int, string> { [120] = "kind: NetworkPolicy\nmetadata: [\n", [240] = "kind: NetworkPolicy\nmetadata: [\n" });

        Assert.Equal(Path(120), error.Path);
        Assert.StartsWith($"{Path(120)}: document 0: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Of_two_policies_declared_twice_the_first_pair_in_path_order_is_the_error()
    {
        var error = await LoadFails(new Dictionary<int, string> { [250] = Policy(10), [280] = Policy(20) });

        Assert.Equal($"NetworkPolicy shop/p-010 is declared twice: {Path(10)}: document 0 and {Path(250)}: document 0", error.Message);
    }

    [Fact]
    public async Task A_file_too_large_to_read_stops_the_read_with_its_own_error()
    {
        var error = await LoadFails(new Dictionary<int, string> { [150] = Policy(150) + "# " + new string('x', 9 * 1024 * 1024) + "\n" });

        Assert.Equal(Path(150), error.Path);
        Assert.Equal($"{Path(150)}: file is larger than 8 MiB", error.Message);
    }

    [Fact]
    public void A_commit_of_many_files_loads_every_policy_in_path_order()
    {
        using var repository = new GitRepository();
        using var cache = new TempDirectory();
        repository.Commit(Enumerable.Range(0, Files).ToDictionary(Path, Policy));
        var source = new GitBaselineSource(new GitSettings { Repository = repository.Path, CacheDirectory = cache.Path }, TimeProvider.System);

        var loaded = source.Load(source.Fetch(CancellationToken.None), DateTimeOffset.UtcNow);

        Assert.Equal(Files, loaded.Baseline.Count);
        Assert.Equal(Enumerable.Range(0, Files).Select(Path), loaded.Files.Select(f => f.Path));
        Assert.Equal(Enumerable.Range(0, Files).Select(i => $"p-{i:D3}"), loaded.Declared.Select(d => d.Single().Policy.Name));
        Assert.All(loaded.Files, f => Assert.Equal("", f.Text));
    }

    /// <summary>A commit of <see cref="Files"/> policies, some files replaced; its load must fail, and in time.</summary>
    private static async Task<BaselineLoadException> LoadFails(Dictionary<int, string> replaced)
    {
        using var repository = new GitRepository();
        using var cache = new TempDirectory();
        repository.Commit(Enumerable.Range(0, Files).ToDictionary(Path, i => replaced.GetValueOrDefault(i) ?? Policy(i)));
        var source = new GitBaselineSource(new GitSettings { Repository = repository.Path, CacheDirectory = cache.Path }, TimeProvider.System);
        var commit = source.Fetch(CancellationToken.None);

        var load = Task.Run(() => source.Load(commit, DateTimeOffset.UtcNow));

        return await Assert.ThrowsAsync<BaselineLoadException>(() => load.WaitAsync(TimeSpan.FromSeconds(60)));
    }
}
