using System.Globalization;
using System.Text.RegularExpressions;
using AdaMec.Interfaces;
using Microsoft.Playwright;

namespace AdaMec.Operations.Tests;

/// <summary>
/// Headless Chromium (Debian's, driven by Playwright) opens the operator page and the Orleans dashboard
/// of a running cluster with a live deployment, reads real values off them and watches the plan drawing
/// change after a context change. Screenshots go to artifacts/browser/. Skipped where /usr/bin/chromium
/// is missing (scripts/test.sh installs it).
/// </summary>
[Collection(OperationsClusterDefinition.Name)]
public sealed class BrowserTests(OperationsCluster fixture)
{
    private const string Chromium = "/usr/bin/chromium";

    // Flags that work on these machines: no sandbox as root, no GPU, no network chatter the closed network refuses.
    private static readonly string[] Flags =
        ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

    [SkippableFact]
    public async Task OperatorPage_LiveDeployment_RealValuesAndPlanRedrawnAfterContextChange()
    {
        Skip.IfNot(File.Exists(Chromium), $"{Chromium} is not installed (apt-get install chromium): the browser test needs it");
        await fixture.ServeAndReportAsync();
        var artifacts = Directory.CreateDirectory(Path.Combine(RepositoryRoot(), "artifacts", "browser")).FullName;
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = Flags });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1200, Height = 900 } });
        var plan = page.Locator($"svg.plan[data-deployment='{fixture.Deployment.Id}']");

        // Served by edge2, showing the whole cluster: every device, the live plan, a measured latency.
        await page.GotoAsync(fixture.Http["edge2"].ToString());
        await Assertions.Expect(plan).ToHaveAttributeAsync("data-plan", string.Join(",", fixture.Pin));
        var devices = await page.Locator("#devices tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.device)");
        Assert.Equal(OperationsCluster.Devices, devices);
        Assert.Equal(fixture.Pin, await plan.Locator("rect.atom").EvaluateAllAsync<string[]>("atoms => atoms.map(a => a.dataset.device)"));
        var measured = await page.Locator($"[data-deployment='{fixture.Deployment.Id}'] .measured").TextContentAsync();
        Assert.True(double.Parse(measured!.Replace(" ms", "", StringComparison.Ordinal), CultureInfo.InvariantCulture) > 0, measured);
        Assert.True(int.Parse((await page.Locator("svg.latency").GetAttributeAsync("data-points"))!, CultureInfo.InvariantCulture) > 0);
        await page.ScreenshotAsync(new() { Path = Path.Combine(artifacts, "operator-pinned.png"), FullPage = true });

        // Context changes: only edge1 may compute, then only edge3. Unpinned, the planner must follow (the phone has no compute budget).
        try
        {
            await SetComputeAsync(edge1: null, edge2: 0, edge3: 0);
            await fixture.Deployment.PinAsync(null);
            var onEdge1 = string.Join(",", fixture.Pin.Select(_ => "edge1"));
            await Assertions.Expect(plan).ToHaveAttributeAsync("data-plan", onEdge1, new() { Timeout = 30_000 });
            await page.ScreenshotAsync(new() { Path = Path.Combine(artifacts, "operator-edge1.png"), FullPage = true });

            await SetComputeAsync(edge1: 0, edge2: 0, edge3: null);
            var onEdge3 = string.Join(",", fixture.Pin.Select(_ => "edge3"));
            await Assertions.Expect(plan).ToHaveAttributeAsync("data-plan", onEdge3, new() { Timeout = 30_000 });
            Assert.All(await plan.Locator("rect.atom").EvaluateAllAsync<string[]>("atoms => atoms.map(a => a.dataset.device)"), d => Assert.Equal("edge3", d));
            await Assertions.Expect(page.Locator($"[data-deployment='{fixture.Deployment.Id}'] table.history tbody tr").First).ToContainTextAsync("edge3");
            await page.ScreenshotAsync(new() { Path = Path.Combine(artifacts, "operator-edge3.png"), FullPage = true });
        }
        finally
        {
            await SetComputeAsync(null, null, null);
            await fixture.PinAsync(fixture.Pin);
        }

        // The Orleans dashboard of the same silo counts the cluster's three silos and its grain activations.
        await page.GotoAsync(new Uri(fixture.Http["edge2"], "dashboard/").ToString());
        await Assertions.Expect(page.Locator("body")).ToContainTextAsync(new Regex(@"Active Silos\s*3(?!\d)"), new() { Timeout = 20_000 });
        await Assertions.Expect(page.Locator("body")).ToContainTextAsync(new Regex(@"Total Activations\s*[1-9]"));
        await page.ScreenshotAsync(new() { Path = Path.Combine(artifacts, "dashboard.png"), FullPage = true });
    }

    private Task SetComputeAsync(double? edge1, double? edge2, double? edge3) => Task.WhenAll(
        Budget("edge1", edge1), Budget("edge2", edge2), Budget("edge3", edge3));

    private Task Budget(string device, double? flops) =>
        fixture.Client.Cluster.GetGrain<IDeviceGrain>(device).SetBudgetsAsync(new DeviceBudgets(null, flops));

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "AdaMec.sln"))) return dir.FullName;
        return Directory.GetCurrentDirectory();
    }
}
