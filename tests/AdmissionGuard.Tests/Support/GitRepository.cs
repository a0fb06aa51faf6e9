namespace AdmissionGuard.Tests.Support;

/// <summary>A real Git repository in a temp folder, written with the git command line on branch main.</summary>
public sealed class GitRepository : IDisposable
{
    private readonly TempDirectory _directory = new();

    public GitRepository()
    {
        Git("init", "-q", "-b", "main", ".");
    }

    public string Path => _directory.Path;

    /// <summary>Writes files (path relative to the repository => content) and commits them; returns the full SHA.</summary>
    public string Commit(IReadOnlyDictionary<string, string> files, string message = "update policies")
    {
        foreach (var (path, content) in files)
        {
            var full = _directory.Combine(path.Split('/'));
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
            File.WriteAllText(full, content);
        }

        Git("add", "-A");
        Git("-c", "user.email=test@example.com", "-c", "user.name=test", "commit", "-q", "--allow-empty", "-m", message);
        return Git("rev-parse", "HEAD").Trim();
    }

    public string Git(params string[] arguments) => Processes.Run("git", Path, arguments);

    public void Dispose() => _directory.Dispose();
}
