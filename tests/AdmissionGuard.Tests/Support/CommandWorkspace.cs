namespace AdmissionGuard.Tests.Support;

/// <summary>
/// What a test of the guard on a Git repository starts from: a real Git repository with one commit of
/// <c>files</c>, and a working folder for the Git cache, kubeconfigs and other files of the test.
/// </summary>
public sealed class CommandWorkspace : IDisposable
{
    public CommandWorkspace(IReadOnlyDictionary<string, string> files)
    {
        Commit = Repository.Commit(files);
    }

    public GitRepository Repository { get; } = new();

    public TempDirectory Work { get; } = new();

    public string Commit { get; }

    /// <summary>The environment the command runs with: its Git cache in <see cref="Work"/>.</summary>
    public Dictionary<string, string> Environment => new() { ["AdmissionGuard__Git__CacheDirectory"] = Work.Combine("cache") };

    public void Dispose()
    {
        Repository.Dispose();
        Work.Dispose();
    }
}
