using LibGit2Sharp;

namespace AdmissionGuard.Hosting;

/// <summary>
/// The example GitOps repository that ships as plain files (examples/gitops) turned into a local
/// Git repository, used when no <c>AdmissionGuard:Git:Repository</c> is configured. A nested .git
/// cannot be committed, so it is built at start-up, with a fixed author and date so its commit SHA
/// is the same on every run.
/// </summary>
public static class BuiltInExample
{
    public static string ExamplesFolder => Path.Combine(AppContext.BaseDirectory, "examples");

    public static string Create(string cacheDirectory)
    {
        var source = Path.Combine(ExamplesFolder, "gitops");
        if (!Directory.Exists(source))
        {
            throw new InvalidOperationException($"the built-in example is missing ({source}); set AdmissionGuard:Git:Repository");
        }

        var target = Path.Combine(cacheDirectory, "example-gitops");
        if (Directory.Exists(target))
        {
            Directory.Delete(target, recursive: true);
        }

        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }

        Repository.Init(target);

        // Init points HEAD at master; the example's branch is main, the default of Git:Ref.
        File.WriteAllText(Path.Combine(target, ".git", "HEAD"), "ref: refs/heads/main\n");
        using var repo = new Repository(target);
        Commands.Stage(repo, "*");
        var author = new Signature("AdmissionGuard example", "example@admissionguard.invalid", new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        repo.Commit("Example GitOps repository", author, author);
        return target;
    }
}
