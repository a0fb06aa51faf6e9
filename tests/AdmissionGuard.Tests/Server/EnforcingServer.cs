using AdmissionGuard.Tests.Support;

namespace AdmissionGuard.Tests.Server;

/// <summary>One server in Enforce mode over a Git repository holding <see cref="GitOpsRepository"/>, shared by a test class.</summary>
public sealed class EnforcingServer : IAsyncLifetime
{
    private readonly GitRepository _repository = new();

    public GuardHost Host { get; private set; } = null!;

    public string Commit { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Commit = _repository.Commit(GitOpsRepository.Files());
        Host = await GuardHost.StartAsync(_repository.Path);
        await Host.WaitForCommitAsync(Commit);
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        _repository.Dispose();
    }
}
