using System.ComponentModel.DataAnnotations;

namespace AdaMec.Grains;

/// <summary>What runs this device's atoms. Section "Device" (beside <see cref="DeviceOptions"/>), key "Backend".</summary>
public sealed class BackendOptions
{
    /// <summary>
    /// "torch" (TorchSharp on libtorch: linux-x64 here), "onnx" (ONNX Runtime: linux-x64,
    /// linux-arm64, Android, iOS) or "auto": torch where libtorch loads, else onnx. The device
    /// reports the backend it ended up with (<c>DeviceStatus.Backend</c>); its threads are
    /// Device:InferenceThreads either way.
    /// </summary>
    /// <value>The default value is "auto".</value>
    [Required, RegularExpression("^(auto|torch|onnx)$", ErrorMessage = "Device:Backend must be 'auto', 'torch' or 'onnx'")]
    public string Backend { get; set; } = "auto";
}
