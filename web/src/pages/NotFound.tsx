import { Link, useLocation } from 'react-router';
import { Empty } from '../components/common';

export function NotFoundPage() {
  const { pathname } = useLocation();
  return (
    <div className="page">
      <Empty title={`No page at ${pathname}`}>
        Go to the <Link to="/">overview</Link>, the <Link to="/workloads">workloads</Link> or the <Link to="/policies">policies</Link>.
      </Empty>
    </div>
  );
}
