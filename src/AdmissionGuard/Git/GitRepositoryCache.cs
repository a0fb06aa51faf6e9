using System.Security.Cryptography;
using System.Text;
using LibGit2Sharp;
using LibGit2Sharp.Handlers;

namespace AdmissionGuard.Git;

/// <summary>
/// A bare clone of the GitOps repository under the cache directory, fetched on demand.
/// Not thread-safe: one refresh at a time uses it. Credentials never reach the disk: the clone's config
/// holds the URL without user info, and libgit2 gets them through its credentials callback.
/// </summary>
internal sealed class GitRepositoryCache(GitSettings settings)
{
    private static readonly string[] RefSpecs = ["+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"];

    private readonly RepositoryUrl? _url = settings.Repository is { } repository ? RepositoryUrl.Parse(repository) : null;

    /// <summary>Named after the address without credentials, so a rotated token keeps the same clone.</summary>
    public string Directory { get; } = Path.Combine(
        settings.EffectiveCacheDirectory,
        "repo-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(RepositoryUrl.WithoutCredentials(settings.Repository))))[..16]);

    /// <summary>Clones or fetches, then resolves the configured ref to a commit SHA.</summary>
    /// <param name="cancel">Stops a transfer in progress (the Polly timeout uses it).</param>
    public string FetchAndResolve(CancellationToken cancel = default)
    {
        try
        {
            return FetchAndResolveIn(cancel);
        }
        finally
        {
            // Indexing the fetched pack leaves its freed memory resident (about 18 MB at 50,000 objects) as the read begins.
            Hosting.NativeHeap.ReleaseFreed();
        }
    }

    private string FetchAndResolveIn(CancellationToken cancel)
    {
        var source = (_url ?? throw new BaselineLoadException("AdmissionGuard:Git:Repository is not set")).Address;
        var fetch = new FetchOptions
        {
            Prune = true,
            CredentialsProvider = Credentials(),
            CertificateCheck = settings.CaFile is { Length: > 0 } caFile ? PrivateAuthority.Check(caFile) : null,
            OnTransferProgress = _ => !cancel.IsCancellationRequested,
            OnProgress = _ => !cancel.IsCancellationRequested,
        };
        if (!Repository.IsValid(Directory))
        {
            if (System.IO.Directory.Exists(Directory))
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }

            Repository.Init(Directory, isBare: true);
        }

        using var repo = new Repository(Directory);
        if (repo.Network.Remotes["origin"] is null)
        {
            repo.Network.Remotes.Add("origin", source);
        }
        else if (repo.Network.Remotes["origin"].Url != source)
        {
            repo.Network.Remotes.Update("origin", r => r.Url = source);
        }

        cancel.ThrowIfCancellationRequested();
        try
        {
            Commands.Fetch(repo, "origin", RefSpecs, fetch, null);
        }
        catch (UserCancelledException) when (cancel.IsCancellationRequested)
        {
            // The progress callbacks stopped the transfer: a timeout or shutdown, which is not a refusal of the server.
            throw new OperationCanceledException("the fetch was stopped", cancel);
        }

        return Resolve(repo, settings.Ref).Sha;
    }

    /// <summary>
    /// Objects read from the clone are not hashed again. A fetch names every object it indexes by hashing it, so a read
    /// that hashed it again (libgit2's default) could only catch a clone changed on disk since; whoever can change the
    /// cache can also change the persisted baseline beside it (docs/security.md). The hashing was 0.5 s of CPU in a
    /// 50,000-file read.
    /// </summary>
    static GitRepositoryCache() => GlobalSettings.SetStrictHashVerification(false);

    public Repository Open() => new(Directory);

    /// <summary>A file's text at a fetched commit, or null when the commit, the file or the clone is not there.</summary>
    public string? ReadText(string commit, string path)
    {
        if (!Repository.IsValid(Directory))
        {
            return null;
        }

        using var repo = Open();
        return repo.Lookup<Commit>(commit)?[path]?.Target is Blob blob && blob.Size <= ManifestReader.MaxFileBytes
            ? blob.GetContentText()
            : null;
    }

    private CredentialsHandler? Credentials()
    {
        if (settings.TokenFile is not { Length: > 0 } tokenFile)
        {
            return _url is { UserName: { } user, Password: var password }
                ? (_, _, _) => new UsernamePasswordCredentials { Username = user, Password = password ?? "" }
                : null;
        }

        return (_, _, _) =>
        {
            string token;
            try
            {
                token = File.ReadAllText(tokenFile).Trim();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new BaselineLoadException($"cannot read AdmissionGuard:Git:TokenFile {tokenFile}: {e.GetType().Name}");
            }

            return new UsernamePasswordCredentials { Username = settings.Username ?? "git", Password = token };
        };
    }

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
}
