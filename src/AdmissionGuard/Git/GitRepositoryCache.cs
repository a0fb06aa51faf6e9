using System.Security.Cryptography;
using System.Text;
using LibGit2Sharp;

namespace AdmissionGuard.Git;

/// <summary>
/// A bare clone of the GitOps repository under the cache directory, fetched on demand.
/// Not thread-safe: the refresh loop is its only user.
/// </summary>
internal sealed class GitRepositoryCache(GitSettings settings)
{
    private static readonly string[] RefSpecs = ["+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"];

    public string Directory { get; } = Path.Combine(
        settings.EffectiveCacheDirectory,
        "repo-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(settings.Repository ?? "")))[..16]);

    /// <summary>Clones or fetches, then resolves the configured ref to a commit SHA.</summary>
    public string FetchAndResolve()
    {
        var source = SourceUrl(settings.Repository ?? throw new BaselineLoadException("AdmissionGuard:Git:Repository is not set"));
        if (!Repository.IsValid(Directory))
        {
            if (System.IO.Directory.Exists(Directory))
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }

            Repository.Clone(source, Directory, new CloneOptions { IsBare = true });
        }

        using var repo = new Repository(Directory);
        var remote = repo.Network.Remotes["origin"];
        if (remote.Url != source)
        {
            repo.Network.Remotes.Update("origin", r => r.Url = source);
        }

        Commands.Fetch(repo, "origin", RefSpecs, new FetchOptions { Prune = true }, null);
        return Resolve(repo, settings.Ref).Sha;
    }

    public Repository Open() => new(Directory);

    private static Commit Resolve(Repository repo, string gitRef)
    {
        foreach (var candidate in new[] { $"refs/remotes/origin/{gitRef}", $"refs/tags/{gitRef}", gitRef })
        {
            if (repo.Lookup(candidate) is { } found && found.Peel<Commit>() is { } commit)
            {
                return commit;
            }
        }

        throw new BaselineLoadException($"ref \"{gitRef}\" is not a branch, tag or commit of the repository");
    }

    private static string SourceUrl(string repository) =>
        repository.Contains("://", StringComparison.Ordinal) ? repository : Path.GetFullPath(repository);
}
