package io.caiman.cli.replay;

/** Takes every record and writes nothing: {@code --discard}, to count what a range holds or to measure reading. */
public final class DiscardSink implements ReplaySink {

    @Override
    public boolean write(ReplayRecord record) {
        return true;
    }

    @Override
    public boolean decodes() {
        return false;
    }

    @Override
    public void flush() {}

    @Override
    public String describe() {
        return "nowhere (--discard)";
    }

    @Override
    public void close() {}
}
