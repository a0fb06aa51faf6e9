using AdmissionGuard.Benchmarks;
using BenchmarkDotNet.Running;

// `make-fixture DIR COUNT` writes what bench/load.sh needs: a Git repository of COUNT policies in
// DIR/repo and AdmissionReview bodies in DIR/review-*.json. Anything else goes to BenchmarkDotNet.
if (args is ["make-fixture", var directory, var countText] && int.TryParse(countText, out var count))
{
    Fixtures.WriteRepository(Path.Combine(directory, "repo"), count);
    var subject = count / 2;
    foreach (var variant in Enum.GetValues<PolicyCase>())
    {
        File.WriteAllBytes(Path.Combine(directory, $"review-{variant.ToString().ToLowerInvariant()}.json"), Fixtures.Review(subject, variant));
    }

    Console.WriteLine($"{directory}/repo: {count} policies; reviews for {Fixtures.Namespace(subject)}/{Fixtures.Name(subject)}");
    return 0;
}

// `make-render-fixture DIR ROOTS` writes what bench/render-startup.sh needs: a Git repository of ROOTS
// Kustomize roots of 100 policies each in DIR/repo, and reviews of one rendered policy in DIR/review-*.json.
if (args is ["make-render-fixture", var renderDirectory, var rootsText] && int.TryParse(rootsText, out var roots) && roots > 0)
{
    RenderedFixtures.WriteRepository(Path.Combine(renderDirectory, "repo"), roots);
    var subject = roots * RenderedFixtures.PerRoot / 2;
    foreach (var variant in Enum.GetValues<PolicyCase>())
    {
        File.WriteAllBytes(Path.Combine(renderDirectory, $"review-{variant.ToString().ToLowerInvariant()}.json"), Fixtures.Review(subject, variant));
    }

    Console.WriteLine($"{renderDirectory}/repo: {roots} Kustomize roots ({RenderedFixtures.Overlay(0)} ...), {roots * RenderedFixtures.PerRoot} policies; reviews for {Fixtures.Namespace(subject)}/{Fixtures.Name(subject)}");
    return 0;
}

// `live-list COUNT`: the drift scanner's list and compare of COUNT live policies, with memory (LiveList).
if (args is ["live-list", var liveText] && int.TryParse(liveText, out var live) && live > 0)
{
    return await LiveList.RunAsync(live);
}

// `live-api COUNT PORT`: an API server on 127.0.0.1:PORT with COUNT live policies, for a whole guard's drift scanner.
if (args is ["live-api", var apiCountText, var portText] && int.TryParse(apiCountText, out var apiCount) && int.TryParse(portText, out var port))
{
    return await LiveApiServer.RunAsync(apiCount, port);
}

// `cold-read CACHE REPOSITORY [RUNS]`: a cold start's read of the ref's commit from the cached clone, without the fetch.
if (args is ["cold-read", var readCache, var readRepository, .. var readRest])
{
    return ColdRead.Run(readCache, readRepository, readRest is [var readRuns] ? int.Parse(readRuns, System.Globalization.CultureInfo.InvariantCulture) : 3);
}

// `persisted-restart CACHE REPOSITORY [RUNS]`: a restart's read of the persisted baseline in a guard's cache folder.
if (args is ["persisted-restart", var cache, var repository, .. var rest])
{
    return PersistedRestart.Run(cache, repository, rest is [var runsText] ? int.Parse(runsText, System.Globalization.CultureInfo.InvariantCulture) : 3);
}

// `read-stages CACHE REPOSITORY [ROUNDS]`: a cold read's stages one after the other on one thread, timed per file (ReadStages).
if (args is ["read-stages", var stagesCache, var stagesRepository, .. var stagesRest])
{
    return ReadStages.Run(stagesCache, stagesRepository, stagesRest is [var rounds] ? int.Parse(rounds, System.Globalization.CultureInfo.InvariantCulture) : 3);
}

BenchmarkSwitcher.FromAssembly(typeof(Fixtures).Assembly).Run(args);
return 0;
