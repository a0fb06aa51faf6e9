using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using AdmissionGuard.Core;

namespace AdmissionGuard.Git;

/// <summary>
/// The last good baseline on disk (its commit, and the renders of rendered sources; plain files are read from the
/// cached clone at that commit), so that a restart while Git is unreachable enforces at once. Written atomically (temp file, then rename); one file per
/// repository, ref, paths and default namespace, so a configuration change never reuses a stale one.
/// </summary>
internal sealed class PersistedBaseline(GitSettings settings)
{
    public string FilePath { get; } = Path.Combine(settings.EffectiveCacheDirectory, $"baseline-{Fingerprint(settings)}.json");

    public void Save(LoadedCommit loaded, DateTimeOffset savedAt)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
        var temporary = FilePath + ".tmp";
        // Plain files are in the cached clone, at this commit: only renders, which are not, are written out.
        var inClone = loaded.Files.Count > 0 && loaded.Files.All(f => f.BlobId is not null);
        var snapshot = new Snapshot(settings.DisplayRepository, settings.Ref, loaded.Baseline.Commit, savedAt, inClone ? [] : [.. loaded.Files])
        {
            Sources = [.. loaded.Sources],
            FilesInClone = inClone,
        };
        using (var stream = File.Create(temporary))
        {
            JsonSerializer.Serialize(stream, snapshot, PersistedJson.Default.Snapshot);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, FilePath, overwrite: true);

        // A baseline of other settings or of another format is never read by this build; a rollback must not find an old one.
        foreach (var other in Directory.EnumerateFiles(Path.GetDirectoryName(FilePath)!, "baseline-*.json").Where(f => f != FilePath))
        {
            File.Delete(other);
        }
    }

    /// <returns>The persisted baseline, or null when there is none. Renders were persisted as their output: nothing is rendered again.</returns>
    public LoadedCommit? Load(DateTimeOffset now)
    {
        if (!File.Exists(FilePath))
        {
            return null;
        }

        Snapshot? snapshot;
        try
        {
            using var stream = File.OpenRead(FilePath);
            snapshot = JsonSerializer.Deserialize(stream, PersistedJson.Default.Snapshot);
        }
        catch (JsonException e)
        {
            throw new BaselineLoadException($"persisted baseline {FilePath} is unreadable: {e.Message}");
        }

        if (snapshot is null)
        {
            return null;
        }

        var files = snapshot.FilesInClone ? FromClone(snapshot.Commit) : snapshot.Files;
        return BaselineLoader.BuildFromSources(snapshot.Commit, files, snapshot.Sources ?? [], settings, now);
    }

    private IReadOnlyList<ManifestFile> FromClone(string commit)
    {
        try
        {
            using var repo = new GitRepositoryCache(settings).Open();
            return BaselineLoader.ReadFiles(repo, commit, settings);
        }
        catch (LibGit2Sharp.LibGit2SharpException e)
        {
            throw new BaselineLoadException($"persisted baseline {FilePath}: the cached clone cannot give commit {commit}: {e.Message}");
        }
    }

    /// <summary>Part of the file's name: a build that writes another format never reads this one, nor the reverse.</summary>
    private const string Format = "3";

    private static string Fingerprint(GitSettings settings)
    {
        var identity = string.Join('\n', [Format, RepositoryUrl.WithoutCredentials(settings.Repository), settings.Ref, settings.DefaultNamespace, .. settings.EffectivePaths, SourcesIdentity(settings)]);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..16];
    }

    /// <summary>The sources settings, so that changing them never reuses a baseline read through other ones; empty without them.</summary>
    private static string SourcesIdentity(GitSettings settings) =>
        settings.Sources is null && settings.Discover is null && settings.RepositoryAliases is null && settings.DiscoverFluxSources is null
            ? ""
            : JsonSerializer.Serialize(new
            {
                settings.Sources,
                settings.Discover,
                settings.RepositoryAliases,
                settings.DiscoverFluxSources,

                // Which kustomize runs, and how long it may take, do not change what a render is.
                settings.Kustomize.LoadRestrictor,
                settings.Kustomize.StrictSubstitution,
            });

    internal sealed record Snapshot(string Repository, string Ref, string Commit, DateTimeOffset SavedAt, List<ManifestFile> Files)
    {
        public List<Sources.SourceReport>? Sources { get; init; }

        /// <summary>The commit's plain files are read from the cached clone; <see cref="Files"/> then holds nothing.</summary>
        public bool FilesInClone { get; init; }
    }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(PersistedBaseline.Snapshot))]
internal sealed partial class PersistedJson : JsonSerializerContext;
