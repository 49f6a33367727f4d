import ArgumentParser
import Foundation
import WaveAnalysis
import WaveCore
import WavePlot
import WaveTraining

/// `wrnn figure2 WRNN_RUN IRNN_RUN`: the paper's Figure 2 for any pair of trained runs.
struct Figure2Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "figure2",
        abstract: "Draw the paper's Figure 2 for a wRNN run and an iRNN run: space-time maps and normalised spectra, sized for print.",
        discussion: """
            Writes figure2.{formats} and figure2.json into the --out directory, or, when --out names a file \
            (fig.pdf), that file and fig.json beside it (the maps, spectra, ring, sample, the iRNN's onset order and silent \
            neurons). Panels: (a) the wRNN's ring, (b) the iRNN's neurons sorted by onset with the silent ones marked, \
            (c, d) their normalised spectra with the diagonal power of what is shown. The default is a two-column \
            figure: 6.75 in wide with 8 pt text (7 to 9 pt throughout); the PDF keeps its text as text. \
            The two runs may be on any task and of any length; each is recorded on its own test set. \
            A 2-D wave RNN's run (--model wrnn2d) takes the wRNN's place: panel (a) is then the line of cells of its \
            sheet (a row, or a column for waves along y) with the strongest diagonal power, ordered so that its \
            shift init's motion runs toward lower indices as on the ring; `wrnn analyze` draws the whole sheet.
            """)

    @Argument(help: "The wRNN's (or 2-D wave RNN's) run directory.")
    var waveRun: String
    @Argument(help: "The iRNN's run directory.")
    var plainRun: String
    @Option(
        parsing: .unconditional,
        help:
            "The wRNN's ring (a sheet run: its channel) to show. Default: the ring (the sheet's line of cells) with the strongest diagonal power."
    )
    var ring: Int?
    @Option(parsing: .unconditional, help: "The test sample to show (0-based).")
    var sample: Int = 0
    @Option(help: "A file (fig.pdf: that format alone) or a directory for figure2.{formats}. Default: the current directory.")
    var out: String = "."
    @Option(help: "Figure formats, comma-separated: png, pdf, svg. Default pdf,svg,png; a file --out takes its own.")
    var format: String?
    @Option(
        parsing: .unconditional,
        help:
            "Width in inches, 3.25 to 20: 6.75 is a two-column figure, 3.25 one column (the four panels then stack, a above b above c above d; below 4.5 in)."
    )
    var width: Double = 6.75
    @Option(parsing: .unconditional, help: "Text size in points (tick labels one point smaller, the title one larger).")
    var fontSize: Double = 8
    @Flag(help: "Leave out the panel letters a-d.")
    var noPanelLetters = false
    @Flag(help: "Leave out the title line (a journal's caption says it).")
    var noTitle = false
    @Flag(help: "Leave out the line under the panels that explains the spectra and the grey marks.")
    var noCaption = false
    @Option(help: "Time steps A:B (1-based, inclusive) of both maps, and the spectra of that window. Default: all steps.")
    var time: String?
    @Option(parsing: .unconditional, help: "PNG resolution in dots per inch, 72 to 1200, written into the file. Default 144.")
    var dpi: Double?
    @Option(help: "Colour ranges: panel (each panel its own), shared (one for both maps, one for both spectra), or LO,HI for both maps.")
    var scale: String = "panel"

    func validate() throws {
        if let format { do { _ = try FigureFormat.parse(format) } catch let error as WrnnError { throw ValidationError(error.message) } }
        if case .file(let path) = OutputPath(out) {
            guard let ext = OutputPath(out).fileExtension, FigureFormat(rawValue: ext) != nil else {
                throw ValidationError("--out \(path) names a file that is not .png, .pdf or .svg; give such a file or a directory")
            }
            if let format, format != ext {
                throw ValidationError("--out \(path) is a .\(ext) file but --format asks for \(format); give one of them")
            }
        }
        if let ring, ring < 0 { throw ValidationError("--ring must be a non-negative integer (got \(ring))") }
        if sample < 0 { throw ValidationError("--sample must be a non-negative integer (got \(sample))") }
        guard width.isFinite, (3.25...20).contains(width) else {
            throw ValidationError(
                "--width must be from 3.25 to 20 inches (got \(width)); 3.25 is one column of a paper, and its four panels cannot keep readable text in less"
            )
        }
        try checkDPI(dpi)
        if let time { _ = try parseTime(time) }
        guard fontSize.isFinite, (5...14).contains(fontSize) else {
            throw ValidationError("--font-size must be from 5 to 14 points (got \(fontSize))")
        }
        do { _ = try ColourScale(parsing: scale) } catch let error as WrnnError { throw ValidationError(error.message) }
    }

    /// "A:B" with 1 <= A < B.
    func parseTime(_ text: String) throws -> ClosedRange<Int> {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let a = parts[0], let b = parts[1], a >= 1, b > a else {
            throw ValidationError("--time must be A:B with 1 <= A < B, time steps counted from 1 (for example 1:200); got '\(text)'")
        }
        return a...b
    }

    func run() throws {
        if let dpi { Canvas.pngDPI = dpi }
        try requireRunDirectory(waveRun)
        try requireRunDirectory(plainRun)
        let wave = try Recording.record(runDirectory: waveRun, samples: [sample])
        let plain = try Recording.record(runDirectory: plainRun, samples: [sample])
        try checkFigure2Pair(wave: wave, plain: plain, waveRun: waveRun, plainRun: plainRun, ring: ring)
        let target = OutputPath(out)
        let formats = try FigureFormat.parse(target.fileExtension ?? format ?? "pdf,svg,png")
        let base: String
        switch target {
        case .file(let path): base = (path as NSString).deletingPathExtension
        case .directory: base = (target.file(named: "figure2") as NSString).standardizingPath
        }
        for path in [base + ".json"] + formats.map({ out + "." + $0.rawValue }) {
            try refuseOutputOverInput(path, inputs: RunDirectory.inputFiles(waveRun) + RunDirectory.inputFiles(plainRun))
        }
        var options = Figure2Options()
        options.ring = ring
        options.sample = sample
        options.widthInches = width
        options.fontSize = fontSize
        options.panelLetters = !noPanelLetters
        options.scale = try ColourScale(parsing: scale)
        options.title = !noTitle
        options.caption = !noCaption
        options.timeWindow = try time.map(parseTime)
        let directory = (base as NSString).deletingLastPathComponent
        if !directory.isEmpty { try makeDirectories(directory) }
        let summary = try writeFigure2(wave: wave, plain: plain, to: base, formats: formats, options: options)
        let shown = summary.sheetLine.map { "channel \(summary.ring), \($0)" } ?? "ring \(summary.ring)"
        print(
            "wrnn figure2: \(wave.config.model.displayName) \(shown)\(ring == nil ? " (the strongest diagonal power)" : "") against \(plain.config.model.displayName), test sample \(sample)"
        )
        print(
            String(
                format: "diagonal power: %@ %.1f, %@ %.1f; the %@ has %d silent neuron%@", wave.config.model.displayName,
                summary.waveDiagonalPower, plain.config.model.displayName, summary.plainDiagonalPower, plain.config.model.displayName,
                summary.silentNeurons, summary.silentNeurons == 1 ? "" : "s"))
        let folder = directory.isEmpty ? "" : directory + "/"
        print("wrote \(summary.files.map { folder + $0 }.joined(separator: ", ")) (\(String(format: "%.2f", width)) in wide)")
    }
}
